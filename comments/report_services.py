"""Readers' reports: making one, hiding a much-reported comment, dismissing them.

Keyword-only, atomic functions, as in comments/services.py; a moderator approving or rejecting a
comment resolves its reports there (`_moderate`), and `dismiss_reports` here answers the reports
on a comment that stays published.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from comments.models import (
    Comment,
    CommentStatus,
    EventAction,
    Report,
)
from comments.services import InvalidTransition, record_comment_event

logger = logging.getLogger(__name__)


class AlreadyReported(Exception):
    """This reader has reported this comment before: one report per reader per comment."""


class CannotReport(Exception):
    """The comment cannot be reported by this reader (their own, or not public)."""


def report_comment(*, comment: Comment, reporter: Any, reason: str, note: str = "") -> Report:
    """Record a reader's report; hide the comment once enough distinct readers reported it."""
    if comment.author_id == reporter.pk:
        raise CannotReport("You cannot report your own comment.")
    with transaction.atomic():
        # Lock the comment: two readers reporting at once must not both skip (or both do) the
        # hiding, and the comment must still be public when the report lands.
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        if not locked.is_visible:
            raise CannotReport("This comment is no longer shown.")
        try:
            # A savepoint, so the unique constraint's failure leaves the transaction usable.
            with transaction.atomic():
                report = Report.objects.create(
                    comment=locked, reporter=reporter, reason=reason, note=note
                )
        except IntegrityError:
            raise AlreadyReported("You have already reported this comment.") from None
        hide_if_reported(comment=locked)
    return report


def hide_if_reported(*, comment: Comment) -> bool:
    """Hide a public comment that enough distinct readers have open reports on; True if hidden.

    Call it inside the transaction that holds the comment's row lock (reporting, or an undo that
    reopened reports), so that two callers cannot both hide it.
    """
    if not comment.is_visible:
        return False
    open_reports = Report.objects.open().filter(comment=comment).count()
    if open_reports < settings.MODERATION_HIDE_AFTER_REPORTS:
        return False
    _hide(comment, open_reports)
    return True


def _hide(comment: Comment, open_reports: int) -> None:
    comment.hidden_at = timezone.now()
    comment.save(update_fields=["hidden_at"])
    record_comment_event(
        comment=comment,
        actor=None,
        action=EventAction.HIDDEN,
        from_status=comment.status,
        to_status=comment.status,
        note=f"Hidden after {open_reports} readers reported it.",
    )
    logger.info("comment %s hidden after %d reports", comment.pk, open_reports)


def dismiss_reports(
    *, comment: Comment, moderator: Any, expected_status: str | None = None
) -> Comment:
    """Keep a reported comment published: resolve its open reports and show it again.

    Audited as an approval (published -> published): the moderator's word that it may stay, which
    is also a training label.
    """
    with transaction.atomic():
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        stale = expected_status is not None and locked.status != expected_status
        if stale or not locked.is_published:
            raise InvalidTransition(locked, CommentStatus.PUBLISHED)
        now = timezone.now()
        resolved = (
            Report.objects.open()
            .filter(comment=locked)
            .update(resolved_at=now, resolved_by=moderator)
        )
        locked.hidden_at = None
        locked.decided_at = now
        locked.save(update_fields=["hidden_at", "decided_at"])
        record_comment_event(
            comment=locked,
            actor=moderator,
            action=EventAction.APPROVED,
            from_status=CommentStatus.PUBLISHED,
            to_status=CommentStatus.PUBLISHED,
            note=f"Kept published; {resolved} report{'s' if resolved != 1 else ''} dismissed.",
        )
    return locked
