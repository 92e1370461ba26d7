from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from articles.models import Article
from comments.views import comment_section
from newsroom.http import HtmxHttpRequest


@require_GET
def article_list(request: HtmxHttpRequest) -> HttpResponse:
    articles = Article.objects.live().with_comment_counts().order_by("-published_at", "-id")[:50]
    return render(request, "articles/article_list.html", {"articles": articles})


@require_GET
def article_detail(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    article = get_object_or_404(Article.objects.live(), slug=slug)
    return render(request, "articles/article_detail.html", comment_section(request, article))
