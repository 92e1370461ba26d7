"""The Appeals queue: authors' appeals against held or rejected comments, oldest first."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from comments.models import Appeal
from comments.services import CannotAppeal, InvalidTransition
from moderation.decorators import moderator_required
from moderation.services import decide_appeal
from newsroom.http import HtmxHttpRequest

APPEALS_PER_PAGE = 25
OUTCOMES = {"uphold": False, "overturn": True}


@require_GET
@login_required
@moderator_required
def appeals(request: HtmxHttpRequest) -> HttpResponse:
    """Open appeals with the decision appealed against: its reasons, scores and the note."""
    waiting = (
        Appeal.objects.open()
        .select_related("comment__article", "comment__author", "comment__model_version", "author")
        .defer("comment__model_version__artifact")
        .order_by("created_at", "id")
    )
    page = Paginator(waiting, APPEALS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "moderation/appeals.html", {"page": page})


@require_POST
@login_required
@moderator_required
def decide(request: HtmxHttpRequest, pk: int, outcome: str) -> HttpResponse:
    if outcome not in OUTCOMES:
        return HttpResponse("Unknown outcome.", status=400, content_type="text/plain")
    appeal = get_object_or_404(Appeal, pk=pk)
    try:
        decide_appeal(appeal=appeal, moderator=request.user, overturn=OUTCOMES[outcome])
    except (CannotAppeal, InvalidTransition) as refusal:
        messages.error(request, str(refusal))
        return redirect("moderation:appeals")
    messages.success(
        request,
        "Overturned: the comment is published." if OUTCOMES[outcome] else "Decision kept.",
    )
    return redirect("moderation:appeals")
