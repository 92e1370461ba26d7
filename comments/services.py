"""Writes on readers' comments: posting, the single moderator decisions, reports and hiding.

Every function here is keyword-only and atomic; anything that leaves the database (enqueueing a
task) happens after the transaction commits, so a worker never sees a comment that is not there.
Scoring is `comments.scoring` (a worker's job); the moderators' workspace adds its own writes
(undo, bulk, authors, rules) in `moderation.services`, on top of these.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from comments import live, tasks
from comments.audit import record_comment_event
from comments.models import (
    AuthorStanding,
    Comment,
    CommentStatus,
    EventAction,
    Nudge,
    Report,
)

if TYPE_CHECKING:
    from articles.models import Article

logger = logging.getLogger(__name__)


class InvalidTransition(Exception):
    """The comment's current status does not allow the requested change."""

    def __init__(self, comment: Comment, to_status: str) -> None:
        self.comment = comment
        self.to_status = to_status
        super().__init__(
            f"comment {comment.pk} is {comment.get_status_display().lower()}; "
            f"it cannot become {CommentStatus(to_status).label.lower()}"
        )


def submit_comment(
    *, article: Article, author: Any, body: str, parent: Comment | None = None
) -> Comment:
    """Save a reader's comment as pending and ask a worker to score it once it is committed."""
    with transaction.atomic():
        comment = Comment.objects.create(article=article, author=author, parent=parent, body=body)
        # Not delay_on_commit: that would raise into the reader's request if the broker is down.
        # The comment is already saved; a failed enqueue is logged and the sweeper retries it.
        transaction.on_commit(lambda: tasks.enqueue_scoring(comment_id=comment.pk))
    return comment


def approve_comment(
    *, comment: Comment, moderator: Any, expected_status: str | None = None
) -> Comment:
    """Publish a comment on a moderator's word (approve a held one, restore a rejected one)."""
    return _moderate(
        comment=comment,
        moderator=moderator,
        to_status=CommentStatus.PUBLISHED,
        action=EventAction.APPROVED,
        expected_status=expected_status,
    )


def reject_comment(
    *,
    comment: Comment,
    moderator: Any,
    reason: str = "",
    note: str = "",
    expected_status: str | None = None,
) -> Comment:
    """Reject a comment on a moderator's word (a held one, or a published one after the fact).

    `reason` is a RejectReason: stored on the event, it becomes a training label.
    """
    return _moderate(
        comment=comment,
        moderator=moderator,
        to_status=CommentStatus.REJECTED,
        action=EventAction.REJECTED,
        reject_reason=reason,
        note=note,
        expected_status=expected_status,
    )


def restore_comment(
    *, comment: Comment, moderator: Any, expected_status: str | None = None
) -> Comment:
    """Publish a rejected comment again: the moderator (or another) was wrong to reject it."""
    # Only a rejected comment can be restored, whatever the caller believed it was.
    if expected_status not in (None, CommentStatus.REJECTED):
        raise InvalidTransition(comment, CommentStatus.PUBLISHED)
    return _moderate(
        comment=comment,
        moderator=moderator,
        to_status=CommentStatus.PUBLISHED,
        action=EventAction.RESTORED,
        expected_status=CommentStatus.REJECTED,
    )


def _moderate(
    *,
    comment: Comment,
    moderator: Any,
    to_status: str,
    action: str,
    reject_reason: str = "",
    note: str = "",
    expected_status: str | None = None,
) -> Comment:
    with transaction.atomic():
        # Lock and re-read: another moderator or a worker may have decided since the page loaded.
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        stale = expected_status is not None and locked.status != expected_status
        if stale or not locked.can_become(to_status):
            raise InvalidTransition(locked, to_status)
        from_status = locked.status
        locked.status = to_status
        locked.decided_at = timezone.now()
        # A moderator's decision answers the readers' reports too: the comment leaves the
        # Reported queue, and an approved one is shown again if reports had hidden it.
        locked.hidden_at = None
        locked.save(update_fields=["status", "decided_at", "hidden_at"])
        Report.objects.open().filter(comment=locked).update(
            resolved_at=locked.decided_at, resolved_by=moderator
        )
        record_comment_event(
            comment=locked,
            actor=moderator,
            action=action,
            from_status=from_status,
            to_status=to_status,
            reject_reason=reject_reason,
            note=note,
        )
        if CommentStatus.PUBLISHED in (from_status, to_status):
            # Open pages of the article show it or drop it at their next poll (comments.live).
            live.bump_on_commit([locked.article_id], published=to_status == CommentStatus.PUBLISHED)
    logger.info("comment %s %s -> %s by %s", locked.pk, from_status, to_status, moderator)
    return locked


class AlreadyReported(Exception):
    """This reader has reported this comment before: one report per reader per comment."""


class CannotReport(Exception):
    """The comment cannot be reported by this reader (their own, or not public)."""


def report_comment(*, comment: Comment, reporter: Any, reason: str, note: str = "") -> Report:
    """Record a reader's report; hide the comment once enough distinct readers reported it."""
    if comment.author_id == reporter.pk:
        raise CannotReport("You cannot report your own comment.")
    standing = AuthorStanding.objects.filter(author=reporter).first()
    refusal = standing.reporting_refusal() if standing is not None else None
    if refusal:
        raise CannotReport(refusal)
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

    Only reports from established readers count (`counting_towards_hiding`): otherwise a few
    accounts made a minute ago could hide any comment. The others still bring it to the queue.
    Call it inside the transaction that holds the comment's row lock (reporting, or an undo that
    reopened reports), so that two callers cannot both hide it.
    """
    if not comment.is_visible:
        return False
    open_reports = Report.objects.open().filter(comment=comment).counting_towards_hiding().count()
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
    live.bump_on_commit([comment.article_id])
    logger.info("comment %s hidden after %d reports", comment.pk, open_reports)


def record_nudge(
    *,
    article: Article,
    author: Any,
    scores: dict[str, float],
    reason_codes: list[str],
    model_version_id: int | None,
    episode: Nudge | None = None,
) -> Nudge:
    """Record that a draft was nudged; a reader nudged again while revising stays in `episode`."""
    if episode is not None:
        Nudge.objects.filter(pk=episode.pk).update(times_shown=F("times_shown") + 1)
        episode.refresh_from_db(fields=["times_shown"])
        return episode
    return Nudge.objects.create(
        article=article,
        author=author,
        scores=scores,
        reason_codes=reason_codes,
        model_version_id=model_version_id,
    )


def submit_nudged_comment(
    *, nudge: Nudge, article: Article, author: Any, body: str, outcome: str
) -> Comment:
    """Post a comment after a nudge and record what the reader did: revised or posted anyway.

    The comment goes exactly the way of any other (pending, then scored by a worker): the nudge
    never decides.
    """
    with transaction.atomic():
        comment = submit_comment(article=article, author=author, body=body)
        # Only an open nudge takes an outcome: two posts racing with one nudge record one.
        Nudge.objects.filter(pk=nudge.pk, outcome="").update(
            outcome=outcome, comment=comment, resolved_at=timezone.now()
        )
    return comment
