"""A moderator's decisions beyond one approve or reject: undoing one, and deciding in bulk.

Keyword-only, atomic functions, as in comments/services.py (which holds the single decisions).
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.db.models import DateTimeField, Exists, F, OuterRef, QuerySet, Value
from django.utils import timezone

from comments.models import (
    ALLOWED_TRANSITIONS,
    UNDOABLE_ACTIONS,
    Comment,
    CommentStatus,
    EventAction,
    ModerationEvent,
    Report,
)
from comments.report_services import hide_if_reported
from comments.services import record_comment_event

logger = logging.getLogger(__name__)

# A bulk decision: the status it moves comments to and the event it writes for each.
BULK_DECISIONS: dict[str, tuple[str, str]] = {
    "approve": (CommentStatus.PUBLISHED, EventAction.APPROVED),
    "reject": (CommentStatus.REJECTED, EventAction.REJECTED),
}


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
            or last.action not in UNDOABLE_ACTIONS
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
        # The decision resolved the comment's open reports (services._moderate): reopen them.
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
        # Reopened reports may be enough to hide it again, as they had before the decision.
        hide_if_reported(comment=locked)
    logger.info(
        "comment %s %s -> %s (undo) by %s", locked.pk, last.to_status, locked.status, moderator
    )
    return locked


def new_batch() -> str:
    """A fresh name for one bulk decision, to find its events again (and undo them)."""
    return uuid.uuid4().hex[:12]


def batch_note(decision: str, batch: str) -> str:
    return f"Bulk {decision}, batch {batch}."


def batch_of(event: ModerationEvent) -> str | None:
    """The batch a bulk decision's event belongs to; None for a single decision."""
    match = re.fullmatch(r"Bulk \w+, batch ([0-9a-f]{12})\.", event.note)
    return match.group(1) if match else None


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
    to_status, action = BULK_DECISIONS[decision]
    from_statuses = [status for status, nexts in ALLOWED_TRANSITIONS.items() if to_status in nexts]
    # Names this batch's events, so the UPDATE moves exactly the rows the INSERT recorded.
    note = batch_note(decision, batch or new_batch())
    stamp = timezone.now()
    with transaction.atomic():
        selected = (
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
                Value(note),
                Value(stamp, output_field=DateTimeField()),
            )
        )
        changed = _insert_events_from(selected)
        decided = ModerationEvent.objects.filter(action=action, created_at=stamp, note=note).values(
            "comment_id"
        )
        moved = Comment.objects.filter(pk__in=decided).update(
            status=to_status, decided_at=stamp, hidden_at=None
        )
        Report.objects.open().filter(comment__in=decided).update(
            resolved_at=stamp, resolved_by=moderator
        )
        # The lock above makes these equal; a difference would mean a comment without its
        # audit event, so refuse the whole batch rather than commit it.
        if moved != changed:
            raise RuntimeError(f"bulk {decision}: {changed} events written, {moved} comments moved")
    logger.info("bulk %s of %d comment(s) by %s", decision, changed, moderator)
    return changed


def undo_bulk(*, batch: str, moderator: Any, now: datetime | None = None) -> int:
    """Reverse this moderator's bulk decision `batch` within MODERATION_UNDO_SECONDS.

    Returns how many comments went back. As for one comment (undo_decision), only comments on
    which the batch is still the last word go back; one someone has acted on since stays. A
    constant number of statements, like the bulk decision itself.
    """
    now = now or timezone.now()
    window = settings.MODERATION_UNDO_SECONDS
    events = ModerationEvent.objects.filter(
        actor=moderator, note__in=[batch_note(decision, batch) for decision in BULK_DECISIONS]
    )
    later = ModerationEvent.objects.filter(comment=OuterRef("comment"), id__gt=OuterRef("id"))
    last_word = events.exclude(Exists(later)).filter(comment__status=F("to_status"))
    undo_note = f"Undid bulk batch {batch}."
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
                Value(undo_note),
                Value(now, output_field=DateTimeField()),
            )
        )
        back = ModerationEvent.objects.filter(
            action=EventAction.UNDONE, created_at=now, note=undo_note
        )
        for status in CommentStatus.values:  # one UPDATE per status they return to
            Comment.objects.filter(
                pk__in=back.filter(to_status=status).values("comment_id")
            ).update(status=status, decided_at=now)
        Report.objects.filter(
            comment__in=back.values("comment_id"), resolved_by=moderator, resolved_at=decided_at
        ).update(resolved_at=None, resolved_by=None)
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
    "created_at",
]


def _insert_events_from(selected: QuerySet[Any]) -> int:
    """INSERT one ModerationEvent per row of `selected`, in one statement; return the count.

    The ORM has no INSERT ... SELECT; bulk_create would first fetch every row into Python and
    then insert in batches (on SQLite, 999 parameters a statement: 90 events each).
    """
    connection = connections[selected.db]
    quote = connection.ops.quote_name
    meta = ModerationEvent._meta
    column_of = {field.name: field.column for field in meta.concrete_fields if field.column}
    columns = ", ".join(quote(column_of[name]) for name in _EVENT_FIELDS)
    select_sql, params = selected.query.get_compiler(connection=connection).as_sql()
    with connection.cursor() as cursor:
        # Table and column names come from the model; every value is a query parameter.
        cursor.execute(f"INSERT INTO {quote(meta.db_table)} ({columns}) {select_sql}", params)
        return cursor.rowcount
