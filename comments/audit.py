"""The audit row written with every change to a comment, whoever or whatever made it.

A module of its own, below the services: scoring (run by the tasks, which the services enqueue)
writes these rows too, and importing them from the services would close a circle.
"""

from __future__ import annotations

from typing import Any

from comments.models import Comment, ModerationEvent


def record_comment_event(
    *,
    comment: Comment,
    actor: Any,
    action: str,
    from_status: str,
    to_status: str,
    note: str = "",
    reject_reason: str = "",
) -> ModerationEvent:
    """Audit one change to a comment, with the scores, reasons and model version at that moment."""
    event = comment_event(
        comment=comment,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note,
        reject_reason=reject_reason,
    )
    event.save()
    return event


def comment_event(
    *,
    comment: Comment,
    actor: Any,
    action: str,
    from_status: str,
    to_status: str,
    note: str = "",
    reject_reason: str = "",
) -> ModerationEvent:
    """The unsaved audit row of one change: for a bulk writer to create many in one statement."""
    return ModerationEvent(
        comment=comment,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=to_status,
        reason_codes=comment.reason_codes,
        scores=comment.scores,
        model_version_id=comment.model_version_id,
        reject_reason=reject_reason,
        note=note,
    )
