"""The moderators' writes beyond one approve or reject: undo, bulk decisions, dismissing
reports, and the actions on authors and on the workspace's rules.

Keyword-only, atomic functions, as in comments/services.py (which holds the single decisions and
the readers' reports); every one writes its audit events in the same transaction.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.db.models import DateTimeField, F, QuerySet, Value
from django.utils import timezone
from django.utils.formats import date_format

from accounts.services import tell_author_appeal_decided
from articles.models import Article
from comments import live
from comments.audit import record_comment_event
from comments.models import (
    ALLOWED_TRANSITIONS,
    BULK_DECISIONS,
    MODERATOR_DECISIONS,
    Appeal,
    AuthorNote,
    AuthorStanding,
    Comment,
    CommentStatus,
    EventAction,
    ModerationEvent,
    Report,
    WordRule,
)
from comments.services import (
    InvalidTransition,
    hide_if_reported,
    overturn_appeal,
    uphold_appeal,
)

logger = logging.getLogger(__name__)


class CannotUndo(Exception):
    """The decision cannot be undone: too late, someone else's, or no longer the latest word."""


def undo_decision(*, comment: Comment, moderator: Any, now: datetime | None = None) -> Comment:
    """Reverse this moderator's latest decision on a comment within MODERATION_UNDO_SECONDS.

    The comment returns exactly to the status it had before (see the note on undo under
    models.ALLOWED_TRANSITIONS), and an UNDONE event records the reversal.
    """
    now = now or timezone.now()
    window = settings.MODERATION_UNDO_SECONDS
    with transaction.atomic():
        # Lock, then read the latest event: undo reverses only what is still the last word on
        # the comment, never a decision someone (or something) has acted on since.
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        last = locked.events.order_by("-id").first()
        if (
            last is None
            or last.action not in MODERATOR_DECISIONS
            or last.actor_id != moderator.pk
            or last.to_status != locked.status
        ):
            raise CannotUndo("There is no decision of yours to undo on this comment.")
        if now - last.created_at > timedelta(seconds=window):
            raise CannotUndo(f"Too late to undo: a decision can be undone for {window} seconds.")
        decided_at = locked.decided_at
        locked.status = last.from_status
        locked.decided_at = now
        locked.save(update_fields=["status", "decided_at"])
        locked.refresh_parent_reply_count()
        # The decision resolved the comment's open reports (comments.services): reopen them.
        Report.objects.filter(comment=locked, resolved_by=moderator, resolved_at=decided_at).update(
            resolved_at=None, resolved_by=None
        )
        record_comment_event(
            comment=locked,
            actor=moderator,
            action=EventAction.UNDONE,
            from_status=last.to_status,
            to_status=last.from_status,
            note=f"Undid: {last.get_action_display()}.",
        )
        if CommentStatus.PUBLISHED in (last.from_status, last.to_status):
            # Open pages of the article (comments.live): back in view if it returns to published.
            live.bump_on_commit(
                [locked.article_id], published=last.from_status == CommentStatus.PUBLISHED
            )
        # Reopened reports may be enough to hide it again, as they had before the decision.
        hide_if_reported(comment=locked)
    logger.info(
        "comment %s %s -> %s (undo) by %s", locked.pk, last.to_status, locked.status, moderator
    )
    return locked


def new_batch() -> str:
    """A fresh name for one bulk decision, to find its events again (and undo them)."""
    return uuid.uuid4().hex[:12]


def moderate_in_bulk(
    *,
    comments: QuerySet[Comment],
    moderator: Any,
    decision: str,
    reject_reason: str = "",
    batch: str = "",
) -> int:
    """Approve or reject every comment in `comments` that can still take `decision`.

    Returns how many changed. Comments whose status does not allow the decision are skipped,
    never forced. The work is a constant number of statements whatever the size (5 or 50,000
    comments): one INSERT ... SELECT writes the audit events straight from the selection, one
    UPDATE moves exactly the comments those events name, one more resolves their reports.
    `batch` (new_batch()) names the decision for undo_bulk; one is made up if not given.
    """
    to_status, _ = BULK_DECISIONS[decision]
    batch = batch or new_batch()
    stamp = timezone.now()
    with transaction.atomic():
        selected = decision_rows(
            comments,
            moderator=moderator,
            decision=decision,
            reject_reason=reject_reason,
            batch=batch,
            stamp=stamp,
        )
        changed = _insert_events_from(selected)
        # Exactly the rows the INSERT recorded: this batch, at this moment.
        decided = ModerationEvent.objects.filter(batch=batch, created_at=stamp).values("comment_id")
        moved = Comment.objects.filter(pk__in=decided).update(
            status=to_status, decided_at=stamp, hidden_at=None
        )
        Report.objects.open().filter(comment__in=decided).update(
            resolved_at=stamp, resolved_by=moderator
        )
        # One more statement, whatever the batch: the replies' parents recount their replies.
        Comment.objects.filter(
            pk__in=Comment.objects.filter(pk__in=decided, parent__isnull=False).values("parent_id")
        ).refresh_reply_counts()
        live.bump_for_events_on_commit(
            ModerationEvent.objects.filter(batch=batch, created_at=stamp)
        )
        # The lock above makes these equal; a difference would mean a comment without its
        # audit event, so refuse the whole batch rather than commit it.
        if moved != changed:
            raise RuntimeError(f"bulk {decision}: {changed} events written, {moved} comments moved")
    logger.info("bulk %s of %d comment(s) by %s", decision, changed, moderator)
    return changed


def decision_rows(
    comments: QuerySet[Comment],
    *,
    moderator: Any,
    decision: str,
    reject_reason: str,
    batch: str,
    stamp: datetime,
) -> QuerySet[Any]:
    """The rows of the audit events a bulk `decision` writes: one per comment of `comments` that
    can still take it, locked, in the columns of _EVENT_FIELDS."""
    to_status, action = BULK_DECISIONS[decision]
    from_statuses = [status for status, nexts in ALLOWED_TRANSITIONS.items() if to_status in nexts]
    return (
        comments.filter(status__in=from_statuses)
        .order_by()
        # Lock the selected comments (PostgreSQL; SQLite's IMMEDIATE transactions already
        # serialise writers) so that none changes between the INSERT and the UPDATE.
        .select_for_update(of=("self",))
        .values_list(
            "id",
            Value(moderator.pk),
            Value(action),
            "status",
            Value(to_status),
            Value(reject_reason),
            "reason_codes",
            "scores",
            "model_version_id",
            Value(f"Bulk {decision}, batch {batch}."),
            Value(batch),
            Value(stamp, output_field=DateTimeField()),
        )
    )


def undo_bulk(*, batch: str, moderator: Any, now: datetime | None = None) -> int:
    """Reverse this moderator's bulk decision `batch` within MODERATION_UNDO_SECONDS.

    Returns how many comments went back. As for one comment (undo_decision), only comments on
    which the batch is still the last word go back; one someone has acted on since stays. A
    constant number of statements, like the bulk decision itself.
    """
    now = now or timezone.now()
    window = settings.MODERATION_UNDO_SECONDS
    decided_actions = [action for _, action in BULK_DECISIONS.values()]
    events = ModerationEvent.objects.filter(
        actor=moderator, batch=batch, action__in=decided_actions
    )
    last_word = events.last_words().filter(comment__status=F("to_status"))
    with transaction.atomic():
        decided_at = events.order_by("id").values_list("created_at", flat=True).first()
        if decided_at is None:
            raise CannotUndo("There is no bulk decision of yours to undo.")
        if now - decided_at > timedelta(seconds=window):
            raise CannotUndo(f"Too late to undo: a decision can be undone for {window} seconds.")
        # Lock the batch's comments first, so none is decided anew while they go back.
        list(
            Comment.objects.filter(pk__in=last_word.values("comment_id"))
            .select_for_update()
            .values_list("pk", flat=True)
        )
        undone = _insert_events_from(
            last_word.order_by().values_list(
                "comment_id",
                Value(moderator.pk),
                Value(EventAction.UNDONE),
                "to_status",
                "from_status",
                Value(""),
                "comment__reason_codes",
                "comment__scores",
                "comment__model_version_id",
                Value(f"Undid bulk batch {batch}."),
                Value(batch),
                Value(now, output_field=DateTimeField()),
            )
        )
        back = ModerationEvent.objects.filter(
            batch=batch, action=EventAction.UNDONE, created_at=now
        )
        for status in CommentStatus.values:  # one UPDATE per status they return to
            Comment.objects.filter(
                pk__in=back.filter(to_status=status).values("comment_id")
            ).update(status=status, decided_at=now)
        Comment.objects.filter(
            pk__in=Comment.objects.filter(
                pk__in=back.values("comment_id"), parent__isnull=False
            ).values("parent_id")
        ).refresh_reply_counts()
        Report.objects.filter(
            comment__in=back.values("comment_id"), resolved_by=moderator, resolved_at=decided_at
        ).update(resolved_at=None, resolved_by=None)
        live.bump_for_events_on_commit(back)
    logger.info("undid bulk batch %s (%d comment(s)) by %s", batch, undone, moderator)
    return undone


# The event columns, in the order of the SELECT in moderate_in_bulk.
_EVENT_FIELDS = [
    "comment",
    "actor",
    "action",
    "from_status",
    "to_status",
    "reject_reason",
    "reason_codes",
    "scores",
    "model_version",
    "note",
    "batch",
    "created_at",
]


def _insert_events_from(selected: QuerySet[Any]) -> int:
    """INSERT one ModerationEvent per row of `selected`, in one statement; return the count.

    The ORM has no INSERT ... SELECT; bulk_create would first fetch every row into Python and
    then insert in batches (on SQLite, 999 parameters a statement: 90 events each).
    """
    sql, params = insert_events_sql(selected)
    with connections[selected.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def insert_events_sql(selected: QuerySet[Any]) -> tuple[str, tuple[Any, ...]]:
    """The INSERT ... SELECT of `_insert_events_from`, and its parameters (to EXPLAIN it)."""
    connection = connections[selected.db]
    quote = connection.ops.quote_name
    meta = ModerationEvent._meta
    column_of = {field.name: field.column for field in meta.concrete_fields if field.column}
    columns = ", ".join(quote(column_of[name]) for name in _EVENT_FIELDS)
    select_sql, params = selected.query.get_compiler(connection=connection).as_sql()
    # Table and column names come from the model; every value is a query parameter.
    return f"INSERT INTO {quote(meta.db_table)} ({columns}) {select_sql}", params


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
        if locked.hidden_at is not None:
            live.bump_on_commit([locked.article_id], published=True)  # shown again
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


def add_author_note(*, author: Any, moderator: Any, body: str) -> AuthorNote:
    with transaction.atomic():
        note = AuthorNote.objects.create(author=author, written_by=moderator, body=body)
        _audit_author(author, moderator, EventAction.AUTHOR_NOTE, body)
    return note


def suspend_author(
    *, author: Any, moderator: Any, until: datetime, reason: str = ""
) -> AuthorStanding:
    """Stop an author posting until `until`; their comments already posted stay as they are."""
    with transaction.atomic():
        standing = _standing_for_update(author)
        standing.suspended_until = until
        standing.updated_at = timezone.now()
        standing.save(update_fields=["suspended_until", "updated_at"])
        when = date_format(timezone.localtime(until), "DATETIME_FORMAT")
        _audit_author(
            author, moderator, EventAction.AUTHOR_SUSPENDED, _join(f"Until {when}", reason)
        )
    return standing


def ban_author(
    *, author: Any, moderator: Any, reason: str = "", reject_comments: bool = False
) -> int:
    """Stop an author posting for good; optionally reject every comment of theirs (pending, held
    and published). Returns how many comments were rejected.
    """
    with transaction.atomic():
        standing = _standing_for_update(author)
        standing.banned_at = timezone.now()
        standing.ban_reason = reason
        standing.updated_at = standing.banned_at
        standing.save(update_fields=["banned_at", "ban_reason", "updated_at"])
        rejected = _reject_all(author, moderator) if reject_comments else 0
        note = reason + (f" ({rejected} comments rejected)" if rejected else "")
        _audit_author(author, moderator, EventAction.AUTHOR_BANNED, note)
    logger.info("author %s banned by %s; %d comments rejected", author, moderator, rejected)
    return rejected


def _reject_all(author: Any, moderator: Any) -> int:
    # The queue's bulk reject: a constant number of statements whatever the author's history,
    # an audit event per comment, and their open reports resolved.
    return moderate_in_bulk(
        comments=Comment.objects.by_author(author), moderator=moderator, decision="reject"
    )


def set_always_premoderate(*, author: Any, moderator: Any, reason: str = "") -> AuthorStanding:
    """Hold every new comment of this author for a moderator, whatever the model says."""
    with transaction.atomic():
        standing = _standing_for_update(author)
        standing.always_premoderate = True
        standing.updated_at = timezone.now()
        standing.save(update_fields=["always_premoderate", "updated_at"])
        _audit_author(author, moderator, EventAction.AUTHOR_PREMODERATED, reason)
    return standing


def reinstate_author(*, author: Any, moderator: Any, reason: str = "") -> AuthorStanding:
    """Lift a ban, a suspension and pre-moderation: the author is back in good standing."""
    with transaction.atomic():
        standing = _standing_for_update(author)
        standing.banned_at = None
        standing.ban_reason = ""
        standing.suspended_until = None
        standing.always_premoderate = False
        standing.updated_at = timezone.now()
        standing.save()
        _audit_author(author, moderator, EventAction.AUTHOR_REINSTATED, reason)
    return standing


def _standing_for_update(author: Any) -> AuthorStanding:
    # get_or_create then lock: two moderators acting at once serialise on the row.
    AuthorStanding.objects.get_or_create(author=author)
    return AuthorStanding.objects.select_for_update().get(author=author)


def _audit_author(author: Any, moderator: Any, action: str, note: str) -> None:
    ModerationEvent.objects.create(
        subject=author, actor=moderator, action=action, note=_truncate(note)
    )


def _join(*parts: str) -> str:
    return ": ".join(p for p in parts if p)


def _truncate(text: str, limit: int = 500) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def add_word_rule(*, phrase: str, kind: str, moderator: Any) -> WordRule:
    """Add a banned or suspect phrase; it applies to comments scored from now on."""
    with transaction.atomic():
        rule = WordRule.objects.create(phrase=phrase, kind=kind, created_by=moderator)
        _audit_rule(moderator, f"Added {kind} word “{phrase}”.")
    return rule


def remove_word_rule(*, rule: WordRule, moderator: Any) -> None:
    with transaction.atomic():
        rule.delete()
        _audit_rule(moderator, f"Removed {rule.kind} word “{rule.phrase}”.")


def update_article_settings(
    *,
    article: Article,
    moderator: Any,
    comment_policy: str,
    close_comments_after_days: int | None,
) -> Article:
    """Change how an article takes comments; enforced on the next post."""
    with transaction.atomic():
        article.comment_policy = comment_policy
        article.close_comments_after_days = close_comments_after_days
        article.save(update_fields=["comment_policy", "close_comments_after_days"])
        # Readers see whether comments are open: the cached sections and pages go stale.
        live.bump_on_commit([article.pk])
        closes = (
            f"closes {close_comments_after_days} days after publication"
            if close_comments_after_days is not None
            else "never closes automatically"
        )
        _audit_rule(
            moderator,
            f"“{article.title}”: {article.get_comment_policy_display()}; {closes}.",
        )
    return article


def _audit_rule(moderator: Any, note: str) -> None:
    ModerationEvent.objects.create(
        actor=moderator, action=EventAction.RULE_CHANGED, note=note[:500]
    )


def decide_appeal(*, appeal: Appeal, moderator: Any, overturn: bool) -> Appeal:
    """Uphold or overturn an author's appeal (audited) and tell the author, in one transaction."""
    with transaction.atomic():
        if overturn:
            decided = overturn_appeal(appeal=appeal, moderator=moderator)
        else:
            decided = uphold_appeal(appeal=appeal, moderator=moderator)
        tell_author_appeal_decided(appeal=decided)
    return decided
