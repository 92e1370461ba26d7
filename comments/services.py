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
    Appeal,
    AppealStatus,
    AuthorStanding,
    Comment,
    CommentRevision,
    CommentStatus,
    EventAction,
    Nudge,
    Reaction,
    Report,
    posting_refusal_of,
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


class CannotAnswer(Exception):
    """The comment cannot take a reply or a reaction from this reader, with why in words."""


class CannotChange(Exception):
    """The reader may not (or may no longer) edit or delete this comment, with why in words."""


def submit_comment(
    *, article: Article, author: Any, body: str, parent: Comment | None = None
) -> Comment:
    """Save a reader's comment (or reply to `parent`) as pending and ask a worker to score it
    once it is committed. A reply goes through exactly the same scoring and policy."""
    with transaction.atomic():
        root_id, depth = None, 0
        if parent is not None:
            # Locked so that a moderator rejecting (or its author deleting) the parent cannot
            # interleave with the check: nobody replies to a comment that is not public.
            parent = Comment.objects.select_for_update().get(pk=parent.pk)
            if parent.article_id != article.pk or not parent.can_be_answered:
                raise CannotAnswer("This comment is no longer shown: it cannot be answered.")
            root_id = parent.root_id or parent.pk
            depth = min(parent.depth + 1, settings.COMMENT_MAX_DEPTH)
        comment = Comment.objects.create(
            article=article, author=author, parent=parent, root_id=root_id, depth=depth, body=body
        )
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
        locked.refresh_parent_reply_count()
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
        if locked.scores and not locked.explanations:
            # Published comments are scored without their explanation (comments.scoring): now a
            # moderator will look at it. After commit, and never failing the reader's report.
            transaction.on_commit(lambda: tasks.enqueue_explanation(comment_id=locked.pk))
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


def toggle_reaction(*, comment: Comment, reader: Any) -> bool:
    """Add this reader's reaction to a public comment, or take it back; True if it now stands.

    The counter moves with an F() expression in the same transaction as the row, so concurrent
    reactions never lose a count and the page reads `reaction_count` instead of counting.
    """
    if comment.author_id == reader.pk:
        raise CannotAnswer("You cannot react to your own comment.")
    refusal = posting_refusal_of(reader)
    if refusal:
        raise CannotAnswer(refusal)
    counter = Comment.objects.filter(pk=comment.pk)
    with transaction.atomic():
        taken_back, _ = Reaction.objects.filter(comment=comment, reader=reader).delete()
        if taken_back:
            counter.update(reaction_count=F("reaction_count") - 1)
            live.bump_reactions_on_commit(comment.article_id)
            return False
        if not counter.visible().filter(deleted_at__isnull=True).exists():
            raise CannotAnswer("This comment is no longer shown.")
        try:
            # A savepoint: a double click racing itself meets the unique constraint, and the
            # reaction it wanted is there anyway.
            with transaction.atomic():
                Reaction.objects.create(comment=comment, reader=reader)
        except IntegrityError:
            return True
        counter.update(reaction_count=F("reaction_count") + 1)
        live.bump_reactions_on_commit(comment.article_id)
    return True


def feature_comment(*, comment: Comment, moderator: Any) -> Comment:
    """Feature a public comment at the top of its article's conversation; audited."""
    return _set_featured(comment=comment, moderator=moderator, featured=True)


def unfeature_comment(*, comment: Comment, moderator: Any) -> Comment:
    return _set_featured(comment=comment, moderator=moderator, featured=False)


def _set_featured(*, comment: Comment, moderator: Any, featured: bool) -> Comment:
    with transaction.atomic():
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        if featured and not locked.can_be_answered:
            raise CannotChange("Only a published comment can be featured.")
        if (locked.featured_at is not None) == featured:
            return locked  # already so: a second click changes (and audits) nothing
        locked.featured_at = timezone.now() if featured else None
        locked.save(update_fields=["featured_at"])
        live.bump_on_commit([locked.article_id])
        record_comment_event(
            comment=locked,
            actor=moderator,
            action=EventAction.FEATURED if featured else EventAction.UNFEATURED,
            from_status=locked.status,
            to_status=locked.status,
        )
    return locked


def edit_comment(*, comment: Comment, author: Any, body: str) -> Comment:
    """Replace the text of the author's own comment within the edit window, and score it again.

    The version it replaces is kept (`CommentRevision`, with its scores) for the moderators. A
    published comment stays up while the worker scores the edit, and leaves public view if the
    policy then holds or rejects it; a held one goes back to pending. Bumping `revision` is
    what makes the worker score again (see `Comment.needs_scoring`) and what stops a task still
    scoring the old text from deciding on it.
    """
    now = timezone.now()
    with transaction.atomic():
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        if locked.author_id != author.pk:
            raise CannotChange("You can only edit your own comments.")
        if not locked.can_be_edited(now):
            raise CannotChange("This comment can no longer be edited.")
        if body == locked.body:
            return locked
        CommentRevision.objects.create(
            comment=locked,
            number=locked.revision,
            body=locked.body,
            status=locked.status,
            scores=locked.scores,
            risk=locked.risk,
            reason_codes=locked.reason_codes,
            model_version_id=locked.model_version_id,
            written_at=locked.edited_at or locked.created_at,
            replaced_at=now,
        )
        from_status = locked.status
        locked.body = body
        locked.edited_at = now
        locked.revision += 1
        if locked.status == CommentStatus.HELD:
            locked.status = CommentStatus.PENDING
        # The highlighted spans were offsets into the old text; the re-score writes new ones.
        locked.explanations = {}
        locked.scoring_requested_at = now
        locked.scoring_attempts = 0
        locked.scoring_error = ""
        # A batch scoring the old text will not decide (the revision moved): the task enqueued
        # below must not wait out that batch's claim.
        locked.scoring_claimed_at = None
        locked.save(
            update_fields=[
                "body",
                "edited_at",
                "revision",
                "status",
                "explanations",
                "scoring_requested_at",
                "scoring_attempts",
                "scoring_error",
                "scoring_claimed_at",
            ]
        )
        record_comment_event(
            comment=locked,
            actor=author,
            action=EventAction.EDITED,
            from_status=from_status,
            to_status=locked.status,
        )
        if locked.is_visible:
            # Readers see the new text at once (it stays up while the worker scores it).
            live.bump_on_commit([locked.article_id])
        comment_id = locked.pk
        # on_commit rather than delay_on_commit, as in submit_comment: a dead broker must not
        # fail the reader's edit; the sweeper re-enqueues it.
        transaction.on_commit(lambda: tasks.enqueue_scoring(comment_id=comment_id))
    return locked


def delete_own_comment(*, comment: Comment, author: Any) -> Comment:
    """Soft-delete the author's own comment: its place in the thread stays, its text is kept
    for the moderators, and readers see "Deleted by its author"."""
    with transaction.atomic():
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        if locked.author_id != author.pk:
            raise CannotChange("You can only delete your own comments.")
        if locked.is_deleted:
            return locked
        locked.deleted_at = timezone.now()
        locked.featured_at = None
        locked.save(update_fields=["deleted_at", "featured_at"])
        locked.refresh_parent_reply_count()
        live.bump_on_commit([locked.article_id])
        record_comment_event(
            comment=locked,
            actor=author,
            action=EventAction.DELETED_BY_AUTHOR,
            from_status=locked.status,
            to_status=locked.status,
        )
    return locked


class CannotAppeal(Exception):
    """This comment cannot be appealed (not the reader's, not held or rejected, appealed before)."""


def file_appeal(*, comment: Comment, author: Any, note: str = "") -> Appeal:
    """Record an author's one appeal against their comment being held or rejected (audited)."""
    with transaction.atomic():
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        if locked.author_id != author.pk:
            raise CannotAppeal("You can appeal only your own comments.")
        if locked.status not in (CommentStatus.HELD, CommentStatus.REJECTED):
            raise CannotAppeal("Only a held or rejected comment can be appealed.")
        if Appeal.objects.filter(comment=locked).exists():
            raise CannotAppeal("You have already appealed this comment.")
        last = locked.events.filter(to_status=locked.status).order_by("-id").first()
        appeal = Appeal.objects.create(
            comment=locked,
            author=author,
            note=note,
            appealed_status=locked.status,
            reason_codes=locked.reason_codes,
            scores=locked.scores,
            automatic=last is None or last.actor_id is None,
        )
        record_comment_event(
            comment=locked,
            actor=author,
            action=EventAction.APPEAL_FILED,
            from_status=locked.status,
            to_status=locked.status,
            note=note,
        )
    return appeal


def uphold_appeal(*, appeal: Appeal, moderator: Any) -> Appeal:
    """Keep the decision appealed against (audited); the comment's status does not change."""
    with transaction.atomic():
        locked = _open_appeal(appeal)
        locked.status = AppealStatus.UPHELD
        locked.decided_at = timezone.now()
        locked.decided_by = moderator
        locked.save(update_fields=["status", "decided_at", "decided_by"])
        comment = locked.comment
        record_comment_event(
            comment=comment,
            actor=moderator,
            action=EventAction.APPEAL_UPHELD,
            from_status=comment.status,
            to_status=comment.status,
            note="Decision kept on appeal.",
        )
    return locked


def overturn_appeal(*, appeal: Appeal, moderator: Any) -> Appeal:
    """Publish the appealed comment on a moderator's word.

    The APPROVED or RESTORED event it writes is a moderator's decision like any other, so an
    overturned automatic decision becomes a training label (model_versions.moderator_decisions).
    """
    with transaction.atomic():
        locked = _open_appeal(appeal)
        comment = locked.comment
        rejected = comment.status == CommentStatus.REJECTED
        _moderate(
            comment=comment,
            moderator=moderator,
            to_status=CommentStatus.PUBLISHED,
            action=EventAction.RESTORED if rejected else EventAction.APPROVED,
            note="Overturned on appeal.",
        )
        locked.status = AppealStatus.OVERTURNED
        locked.decided_at = timezone.now()
        locked.decided_by = moderator
        locked.save(update_fields=["status", "decided_at", "decided_by"])
    return locked


def _open_appeal(appeal: Appeal) -> Appeal:
    locked = Appeal.objects.select_for_update().select_related("comment").get(pk=appeal.pk)
    if not locked.is_open:
        raise CannotAppeal("This appeal has already been decided.")
    return locked


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
