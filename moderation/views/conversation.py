"""Moderators' actions on the readers' conversation: featuring a comment (from its queue card
or from the article page, one view for both)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from comments.models import Comment
from comments.services import CannotChange, feature_comment, unfeature_comment
from moderation.decorators import moderator_required
from newsroom.http import HtmxHttpRequest


@require_POST
@login_required
@moderator_required
@vary_on_headers("HX-Request")
def feature(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Feature (featured=1) or unfeature (featured=0) a published comment; audited."""
    comment = get_object_or_404(Comment.objects.select_related("article", "author"), pk=pk)
    featured = request.POST.get("featured") == "1"
    service = feature_comment if featured else unfeature_comment
    error = ""
    try:
        comment = service(comment=comment, moderator=request.user)
    except CannotChange as exc:
        error = str(exc)
    if request.htmx:
        # 200 with the error in place: htmx swaps 2xx responses only.
        return render(
            request, "moderation/_feature_control.html", {"comment": comment, "error": error}
        )
    if error:
        messages.warning(request, error)
    else:
        done = "featured" if featured else "no longer featured"
        messages.success(request, f"The comment by {comment.author} is {done}.")
    back = request.POST.get("next", "")
    safe = back.startswith("/") and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}
    )
    return redirect(back if safe else f"{comment.article.get_absolute_url()}#comment-{pk}")
