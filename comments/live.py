"""Live updates for open article pages: a version counter per article, kept in the shared cache.

Every change a reader can see on an article's comments (a comment published, rejected, removed,
restored, hidden or shown again) bumps the article's version after its transaction commits. An
open page polls `comments:live` with the version it last saw as its ETag; while nothing changed
the answer is a 304 that costs one cache read and no query, which is what lets one small server
hold thousands of open readers (`scripts/bench_live.py` measures it against server-sent events'
alternative, an always-open connection per reader).

A second counter per article counts the comments that came into public view; the page keeps the
value it was shown with, so a poll that finds news answers "N new" from the cache too, with no
query for a signed-out reader.

The counters live in the cache (Redis), never in the database: a bump is one INCR, outside the
writer's transaction, and a poll never touches a table. Losing them (Redis flushed or down)
costs only freshness or a query: readers then get an answer counted in the database.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import parse_cookie

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


def _published_key(article_id: int) -> str:
    return f"live:published:{article_id}"


def published_count(article_id: int) -> int | None:
    """How many times a comment has come into the article's public view (published, restored,
    shown again), by this counter's reckoning; None when the cache cannot say.

    A page keeps the count it was shown with: the difference is its "N new comments", read from
    the cache alone, so a poll with news costs no query for a signed-out reader either.
    """
    try:
        count = cache.get(_published_key(article_id))
        if count is None:
            cache.add(_published_key(article_id), 0, timeout=None)
            count = cache.get(_published_key(article_id))
    except Exception:
        logger.exception("live: the cache is unavailable; counting in the database")
        return None
    return int(count) if count is not None else None


def bump_articles(article_ids: Iterable[int], published: Mapping[int, int] | None = None) -> None:
    """Tell the open pages of these articles that something they show has changed, and that
    `published[id]` comments came into view."""
    published = published or {}
    for article_id in set(article_ids) | set(published):
        _incr(_key(article_id), 1)
        if published.get(article_id):
            _incr(_published_key(article_id), published[article_id])


def _incr(key: str, by: int) -> None:
    try:
        cache.incr(key, by)
    except ValueError:
        pass  # no counter yet (lost, or nobody has read it): the next reader starts one
    except Exception:
        # After commit, nothing may fail the writer: readers only wait for the next bump.
        logger.exception("live: could not bump %s", key)


def bump_on_commit(article_ids: Iterable[int], *, published: bool = False) -> None:
    """Bump the articles once the current transaction commits (`published`: a comment of each
    came into public view): a poll answered before then would see the old rows, and a
    rolled-back change must not wake anyone.

    Call it inside the writer's transaction; the ids are read now, the bump happens later.
    """
    ids = set(article_ids)
    shown = dict.fromkeys(ids, 1) if published else {}
    if ids:
        transaction.on_commit(lambda: bump_articles(ids, shown))


def bump_for_events_on_commit(events: QuerySet[ModerationEvent]) -> None:
    """Bump, after commit, the articles whose public comments a bulk write's `events` changed.

    One query, whatever the batch's size: only events into or out of "published" matter (a held
    comment rejected was never shown).
    """
    touching_public = Q(from_status=CommentStatus.PUBLISHED) | Q(to_status=CommentStatus.PUBLISHED)
    rows = (
        events.filter(touching_public)
        .order_by()
        .values("comment__article_id")
        .annotate(shown=Count("id", filter=Q(to_status=CommentStatus.PUBLISHED)))
        .values_list("comment__article_id", "shown")
    )
    counts = dict(rows)
    if counts:
        transaction.on_commit(lambda: bump_articles(counts, counts))


def etag_for(article_id: int, session_cookie: str) -> str | None:
    """The article's version, for one browser: the poll's answer leaves out the reader's own
    comments, so two people must never share one. The session cookie (not the session, which
    would cost a query) tells them apart. None when the cache is down: answer in full."""
    version = article_version(article_id)
    if version is None:
        return None
    viewer = (
        hashlib.blake2b(session_cookie.encode(), digest_size=6).hexdigest()
        if session_cookie
        else "0"
    )
    return f'"{version}-{viewer}"'


# The poll's route (comments.urls, "comments:live"); tests/comments/test_live_updates.py checks
# that the two agree. Were they to differ, every poll would simply go through Django.
POLL_PATH = re.compile(r"^/live/articles/(?P<article_id>[0-9]+)/$")
POLL_HEADERS = [("Cache-Control", "private, no-cache"), ("Vary", "HX-Request, Cookie")]

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Any]


def answer_unchanged_polls_early(app: WSGIApp) -> WSGIApp:
    """Wrap the WSGI application: a poll whose ETag is still the article's gets its 304 here,
    before Django's middleware, which costs several times the cache read itself (measured by
    scripts/bench_live.py). Anything else, including every poll with news, goes to Django.

    Safe to skip the middleware for: a 304 has no body to protect (CSP, sniffing, framing), it
    reads no session and writes nothing, and it says only "nothing changed" to a browser that
    already holds the answer.
    """

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        sent = environ.get("HTTP_IF_NONE_MATCH")
        match = POLL_PATH.match(environ.get("PATH_INFO", "")) if sent else None
        if match and environ.get("REQUEST_METHOD") == "GET":
            session = parse_cookie(environ.get("HTTP_COOKIE", "")).get(
                settings.SESSION_COOKIE_NAME, ""
            )
            tag = etag_for(int(match["article_id"]), session)
            if tag is not None and sent == tag:
                start_response("304 Not Modified", [("ETag", tag), *POLL_HEADERS])
                return []
        return app(environ, start_response)

    return application
