"""Oversight pages: the audit log (who did what, when) and the dashboard."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from comments.models import CommentStatus, ModerationEvent, Nudge
from moderation import charts, oversight
from moderation.decorators import moderator_required
from moderation.forms import SYSTEM, AuditFilterForm
from newsroom.http import HtmxHttpRequest

EVENTS_PER_PAGE = 50
# The dashboard's window for decisions, shares and the model's agreement with moderators.
DASHBOARD_DAYS = 7
HOURS_CHARTED = 48


@require_GET
@login_required
@moderator_required
@vary_on_headers("HX-Request")
def audit_log(request: HtmxHttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    events = (
        ModerationEvent.objects.select_related(
            "actor", "subject", "comment__article", "comment__author", "model_version"
        )
        # The model's serialized bytes are megabytes; the log shows only its version number.
        .defer("model_version__artifact")
        .order_by("-created_at", "-id")
    )
    status = 200
    if form.is_valid():
        events = _filtered(events, form.cleaned_data)
    else:
        status = 400
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page}
    if request.htmx:
        return render(request, "moderation/audit.html#audit-results", context)
    return render(request, "moderation/audit.html", context, status=status)


def _filtered(events: Any, filters: dict[str, str]) -> Any:
    who, action = filters["moderator"], filters["action"]
    if who == SYSTEM:
        events = events.filter(actor__isnull=True)
    elif who:
        events = events.filter(actor_id=int(who))
    if action:
        events = events.filter(action=action)
    return events


@require_GET
@login_required
@moderator_required
def dashboard(request: HtmxHttpRequest) -> HttpResponse:
    now = timezone.now()
    since = now - timedelta(days=DASHBOARD_DAYS)
    per_hour = oversight.comments_per_hour(HOURS_CHARTED, now)
    moderators = oversight.decisions_per_moderator(since)
    shares = oversight.automatic_shares(since)
    context = {
        "state": oversight.queue_state(now),
        "per_hour": per_hour,
        "per_hour_total": sum(n for _, n in per_hour),
        "per_hour_chart": charts.column_chart(
            [(timezone.localtime(hour).strftime("%H:00"), n) for hour, n in per_hour]
        ),
        "moderators": moderators,
        "moderator_chart": charts.stacked_bars(
            [
                (
                    d.username,
                    [
                        ("approved", "approved", d.approved),
                        ("rejected", "rejected", d.rejected),
                        ("restored", "restored", d.restored),
                    ],
                )
                for d in moderators
            ]
        ),
        "shares": shares,
        "share_segments": charts.share_bar(
            [
                (CommentStatus.PUBLISHED, "auto-published", shares.published),
                (CommentStatus.HELD, "held", shares.held),
                (CommentStatus.REJECTED, "auto-rejected", shares.rejected),
            ]
        ),
        "agreement": oversight.model_agreement(since),
        "appeal_rates": oversight.appeal_rates(since),
        "fairness": oversight.model_fairness(),
        "flag_at": oversight.FLAG_AT,
        "days": DASHBOARD_DAYS,
        "hours": HOURS_CHARTED,
        # The nudge (issue 11, "live"): what readers did when their draft was flagged.
        "nudges": Nudge.objects.summary(since=since, now=now),
        "nudge_enabled": settings.COMMENT_NUDGE_ENABLED,
        "nudge_window_minutes": settings.COMMENT_NUDGE_ABANDONED_AFTER_SECONDS // 60,
    }
    return render(request, "moderation/dashboard.html", context)
