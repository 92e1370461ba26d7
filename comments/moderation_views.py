"""The moderator queue: held comments, riskiest first, with approve and reject."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from comments.models import ClassifierModel, Comment
from comments.services import InvalidTransition, approve_comment, reject_comment
from newsroom.http import HtmxHttpRequest

moderator_required = permission_required("comments.moderate_comment", raise_exception=True)

ACTIONS = {"approve": approve_comment, "reject": reject_comment}


@require_GET
@login_required
@moderator_required
def moderation_queue(request: HtmxHttpRequest) -> HttpResponse:
    held = Comment.objects.held().riskiest_first().for_moderation()
    page = Paginator(held, 50).get_page(request.GET.get("page"))
    stale_before = timezone.now() - timedelta(seconds=settings.SWEEP_PENDING_AFTER_SECONDS)
    pending = Comment.objects.pending().aggregate(
        total=Count("id"), stale=Count("id", filter=Q(created_at__lt=stale_before))
    )
    context = {
        "page": page,
        "active_model": ClassifierModel.objects.active().defer("artifact").first(),
        "pending_count": pending["total"],
        "stale_pending_count": pending["stale"],
    }
    return render(request, "comments/moderation_queue.html", context)


@require_POST
@login_required
@moderator_required
@vary_on_headers("HX-Request")
def moderate(request: HtmxHttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404("Unknown moderation action.")
    comment = get_object_or_404(Comment, pk=pk)
    error = ""
    try:
        ACTIONS[action](
            comment=comment,
            moderator=request.user,
            expected_status=request.POST.get("expected_status") or None,
        )
    except InvalidTransition as exc:
        error = f"Not changed: this comment is already {exc.comment.get_status_display().lower()}."
    comment = Comment.objects.for_moderation().get(pk=pk)

    if request.htmx:
        context = {"comment": comment, "error": error}
        return render(request, "comments/moderation_queue.html#queue-row", context)
    if error:
        messages.warning(request, error)
    else:
        messages.success(
            request, f"Comment by {comment.author} {comment.get_status_display().lower()}."
        )
    return redirect("comments:moderation-queue")
