"""Moderators' actions on authors: notes, suspensions, bans, pre-moderation, reinstatement.

Keyword-only, atomic functions, as in comments/services.py. Each writes one audit event whose
`subject` is the author, so the audit log and the author drawer show who did what.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format

from comments.models import AuthorNote, AuthorStanding, Comment, EventAction, ModerationEvent
from comments.moderation_services import moderate_in_bulk

logger = logging.getLogger(__name__)


def add_author_note(*, author: Any, moderator: Any, body: str) -> AuthorNote:
    with transaction.atomic():
        note = AuthorNote.objects.create(author=author, written_by=moderator, body=body)
        _audit(author, moderator, EventAction.AUTHOR_NOTE, body)
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
        _audit(author, moderator, EventAction.AUTHOR_SUSPENDED, _join(f"Until {when}", reason))
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
        _audit(author, moderator, EventAction.AUTHOR_BANNED, note)
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
        _audit(author, moderator, EventAction.AUTHOR_PREMODERATED, reason)
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
        _audit(author, moderator, EventAction.AUTHOR_REINSTATED, reason)
    return standing


def _standing_for_update(author: Any) -> AuthorStanding:
    # get_or_create then lock: two moderators acting at once serialise on the row.
    AuthorStanding.objects.get_or_create(author=author)
    return AuthorStanding.objects.select_for_update().get(author=author)


def _audit(author: Any, moderator: Any, action: str, note: str) -> None:
    ModerationEvent.objects.create(
        subject=author, actor=moderator, action=action, note=_truncate(note)
    )


def _join(*parts: str) -> str:
    return ": ".join(p for p in parts if p)


def _truncate(text: str, limit: int = 500) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
