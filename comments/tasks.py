"""Celery entry points: re-fetch by id, guard on state, call a service."""

from __future__ import annotations

from celery import shared_task

from comments import services


@shared_task(ignore_result=True)
def score_comment(comment_id: int) -> None:
    """Score one comment; a re-delivered task for a decided comment changes nothing."""
    services.score_comment(comment_id=comment_id)


@shared_task(ignore_result=True)
def sweep_pending_comments() -> int:
    """Re-enqueue comments a lost task, a dead worker or a broker outage left pending."""
    return services.sweep_pending_comments()
