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


@shared_task(ignore_result=True, soft_time_limit=30 * 60)
def retrain_classifier() -> None:
    """Nightly: retrain on the datasets plus new moderator decisions, once there are enough."""
    services.retrain_if_enough_decisions()
