"""Live updates for open article pages: a version counter per article, kept in the shared cache.

Every change a reader can see on an article's comments (a comment published, rejected, removed,
restored, hidden or shown again) bumps the article's version after its transaction commits. An
open page polls `comments:live` with the version it last saw as its ETag; while nothing changed
the answer is a 304 that costs one cache read and no query, which is what lets one small server
hold thousands of open readers (`scripts/bench_live.py` measures it against server-sent events'
alternative, an always-open connection per reader).

The counter lives in the cache (Redis), never in the database: a bump is one INCR, outside the
writer's transaction, and a poll never touches a table. Losing it (Redis flushed or down) costs
only freshness: readers then get a full answer (one count query) until it is back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q, QuerySet

from comments.models import CommentStatus, ModerationEvent

logger = logging.getLogger(__name__)


def _key(article_id: int) -> str:
    return f"live:article:{article_id}"


def article_version(article_id: int) -> int | None:
    """The article's current version; None when the cache cannot say (down)."""
    try:
        version = cache.get(_key(article_id))
        if version is None:
            # Start from the clock, not from 1: a counter lost and started again must not repeat
            # a version some reader still holds as its ETag (it would keep answering 304).
            cache.add(_key(article_id), time.time_ns() // 1000, timeout=None)
            version = cache.get(_key(article_id))
    except Exception:
        logger.exception("live: the cache is unavailable; answering without a version")
        return None
    return int(version) if version is not None else None


def bump_articles(article_ids: Iterable[int]) -> None:
    """Tell the open pages of these articles that something they show has changed."""
    for article_id in set(article_ids):
        try:
            cache.incr(_key(article_id))
        except ValueError:
            # No counter yet (nobody has polled since it was lost): the next poll starts one.
            pass
        except Exception:
            # After commit, nothing may fail the writer: readers only wait for the next bump.
            logger.exception("live: could not bump article %s", article_id)


def bump_on_commit(article_ids: Iterable[int]) -> None:
    """Bump the articles once the current transaction commits: a poll answered before then
    would see the old rows, and a rolled-back change must not wake anyone.

    Call it inside the writer's transaction; the ids are read now, the bump happens later.
    """
    ids = set(article_ids)
    if ids:
        transaction.on_commit(lambda: bump_articles(ids))


def bump_for_events_on_commit(events: QuerySet[ModerationEvent]) -> None:
    """Bump, after commit, the articles whose public comments a bulk write's `events` changed.

    One query, whatever the batch's size: only events into or out of "published" matter (a held
    comment rejected was never shown).
    """
    touching_public = Q(from_status=CommentStatus.PUBLISHED) | Q(to_status=CommentStatus.PUBLISHED)
    bump_on_commit(
        events.filter(touching_public)
        .order_by()
        .values_list("comment__article_id", flat=True)
        .distinct()
    )
