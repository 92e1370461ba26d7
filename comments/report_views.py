"""A reader's report on a published comment: htmx swaps the control, plain posts redirect back."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from comments.models import Comment, ReportReason
from comments.report_services import AlreadyReported, CannotReport, report_comment
from comments.workspace_forms import ReportForm
from newsroom.http import HtmxHttpRequest

THANKS = "Thank you: the moderators will look at this comment."


@require_POST
@vary_on_headers("HX-Request")
def report(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    comment = get_object_or_404(Comment.objects.select_related("article"), pk=pk)
    back = f"{comment.article.get_absolute_url()}#comment-{comment.pk}"
    if not request.user.is_authenticated:
        to_login = redirect_to_login(back)
        if request.htmx:
            return HttpResponseClientRedirect(to_login.url)
        return to_login
    if not comment.is_visible:
        raise Http404("No such comment.")

    form = ReportForm(request.POST)
    done = ""
    if form.is_valid():
        try:
            report_comment(
                comment=comment,
                reporter=request.user,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
            done = THANKS
        except (AlreadyReported, CannotReport) as exc:
            done = str(exc)

    if request.htmx:
        # htmx swaps 2xx responses only: the control comes back, with its errors or its thanks.
        context = {
            "comment": comment,
            "report_form": form,
            "report_done": done,
            "report_reasons": ReportReason.choices,
        }
        return render(request, "comments/_report_control.html", context)
    if done == THANKS:
        messages.success(request, done)
    elif done:
        messages.warning(request, done)
    else:
        errors = [str(e) for field in form.errors.values() for e in field]
        messages.error(request, "Report not sent: " + " ".join(errors))
    return redirect(back)
