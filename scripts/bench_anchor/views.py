"""The anchor's views and URLs: 20 comments from the table, no query at all, and a post."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from bench_anchor.models import Comment


def comments(request: HttpRequest) -> HttpResponse:
    latest = Comment.objects.order_by("-id")[:20]
    return render(request, "comments.html", {"comments": latest})


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Hello.")


@csrf_exempt
def post(request: HttpRequest) -> HttpResponse:
    from bench_anchor.tasks import decide

    comment = Comment.objects.create(
        author="anchor", body=request.POST["body"], created_at=timezone.now()
    )
    decide.delay(comment.pk)
    return HttpResponse(status=201)


urlpatterns = [
    path("comments/", comments),
    path("hello/", hello),
    path("post/", post),
]
