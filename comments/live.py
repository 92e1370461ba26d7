"""Live updates for open article pages: a version counter per article, kept in the shared cache.

Every change a reader can see on an article's comments (a comment published, rejected, removed,
restored, hidden or shown again) bumps the article's version after its transaction commits. An
open page polls `comments:live` with the version it last saw as its ETag; while nothing changed
the answer is a 304 that costs one cache read and no query, which is what lets one small server
hold thousands of open readers (`scripts/bench_live.py` measures it; `scripts/bench_sse.py`
against server-sent events', an always-open connection per reader, side by side).

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
from datetime import datetime
from functools import cache as once
from typing import Any
from urllib.parse import parse_qs

from csp.utils import build_policy
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import parse_cookie
from django.http.request import split_domain_port, validate_host
from django.template.loader import get_template
from django.utils.dateparse import parse_datetime
from django.utils.timezone import is_aware

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


def _reactions_key(article_id: int) -> str:
    return f"live:reactions:{article_id}"


def section_version_keys(article_id: int) -> list[str]:
    """The cache keys of the article's version and its reactions' version, in that order: for
    a reader that fetches them in one MGET with what they guard (comments.page_cache)."""
    return [_key(article_id), _reactions_key(article_id)]


def section_versions(article_id: int) -> tuple[int, int] | None:
    """The article's version and its reactions' version, for its cached comment section
    (comments.reading): one MGET when both exist. None when the cache cannot say (down)."""
    keys = section_version_keys(article_id)
    try:
        found = cache.get_many(keys)
        if len(found) < len(keys):
            # As article_version: start from the clock, never repeating a lost counter's value.
            start = time.time_ns() // 1000
            for key in keys:
                cache.add(key, start, timeout=None)
            found = cache.get_many(keys)
    except Exception:
        logger.exception("live: the cache is unavailable; rendering the section afresh")
        return None
    if len(found) < len(keys):
        return None
    return int(found[keys[0]]), int(found[keys[1]])


def bump_reactions_on_commit(article_id: int) -> None:
    """Count a reaction given or taken back, once committed: the cached comment sections show
    reaction counts at a coarser grain than the article's version (comments.reading), so a
    burst of reactions does not re-render them, nor wake every open page's poll."""
    transaction.on_commit(lambda: _incr(_reactions_key(article_id), 1))


def _path_key(article_id: int) -> str:
    return f"live:path:{article_id}"


# How long a poll may use an article's address without looking the article up again (the early
# answer, and the view): an article taken down (or given a new slug) is answered with counts,
# or the old address, for at most this long, as its unchanged polls already are with 304s.
ARTICLE_PATH_SECONDS = 600


def article_path(article_id: int) -> str | None:
    """The article's address as a poll last found it, or None: look the article up."""
    try:
        path = cache.get(_path_key(article_id))
    except Exception:
        logger.exception("live: the cache is unavailable; looking the article up")
        return None
    return str(path) if path is not None else None


def remember_article_path(article_id: int, path: str) -> None:
    """Keep the article's address beside its counters, for the early answer's "show" link."""
    try:
        cache.set(_path_key(article_id), path, timeout=ARTICLE_PATH_SECONDS)
    except Exception:
        logger.exception("live: could not keep the address of article %s", article_id)


def _viewer(session_cookie: str) -> str:
    if not session_cookie:
        return "0"
    return hashlib.blake2b(session_cookie.encode(), digest_size=6).hexdigest()


def _etag(version: int, session_cookie: str) -> str:
    return f'"{version}-{_viewer(session_cookie)}"'


def etag_for(article_id: int, session_cookie: str) -> str | None:
    """The article's version, for one browser: the poll's answer leaves out the reader's own
    comments, so two people must never share one. The session cookie (not the session, which
    would cost a query) tells them apart. None when the cache is down: answer in full."""
    version = article_version(article_id)
    return None if version is None else _etag(version, session_cookie)


def parse_since(value: str) -> datetime | None:
    """The time the page was shown, as it sends it: ISO 8601 with its UTC offset, else None."""
    try:
        since = parse_datetime(value)
    except ValueError:
        return None
    return since if since is not None and is_aware(since) else None


def render_news(new_count: int, article_url: str) -> str:
    """The poll's answer: "N new comments: show", or nothing."""
    if not new_count:
        return ""  # what the partial renders for 0, without rendering it
    template = get_template("comments/_live.html#live-news")
    return template.render({"new_count": new_count, "article_url": article_url})


# The poll's route (comments.urls, "comments:live"); tests/comments/test_live_updates.py checks
# that the two agree. Were they to differ, every poll would simply go through Django.
POLL_PATH = re.compile(r"^/live/articles/(?P<article_id>[0-9]+)/$")
POLL_HEADERS = [("Cache-Control", "private, no-cache"), ("Vary", "HX-Request, Cookie")]

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Any]


@once
def _security_headers() -> list[tuple[str, str]]:
    """What Django's middleware adds to the poll's 200 (security, clickjacking, CSP), from the
    same settings; tests/comments/test_live_updates.py compares the two answers header by
    header. Over HTTPS, HSTS is added per request (`_early_news`)."""
    headers = [("X-Frame-Options", settings.X_FRAME_OPTIONS)]
    policy = build_policy()
    if policy:
        headers.append(("Content-Security-Policy", policy))
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers.append(("X-Content-Type-Options", "nosniff"))
    if settings.SECURE_REFERRER_POLICY:
        headers.append(("Referrer-Policy", settings.SECURE_REFERRER_POLICY))
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        headers.append(("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY))
    return headers


def _hsts() -> list[tuple[str, str]]:
    if not settings.SECURE_HSTS_SECONDS:
        return []
    value = f"max-age={settings.SECURE_HSTS_SECONDS}"
    if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
        value += "; includeSubDomains"
    if settings.SECURE_HSTS_PRELOAD:
        value += "; preload"
    return [("Strict-Transport-Security", value)]


def is_secure(environ: dict[str, Any]) -> bool:
    header, secure_value = settings.SECURE_PROXY_SSL_HEADER or (None, None)
    if header is not None and header in environ:
        return str(environ[header]).split(",")[0].strip() == secure_value
    return environ.get("wsgi.url_scheme") == "https"


def _early_news(
    environ: dict[str, Any], article_id: int, sent: str | None
) -> tuple[str, list[tuple[str, str]], bytes] | None:
    """A signed-out reader's whole answer (status, headers, body) from the cache alone: one
    MGET of the article's version, published count and address. None: let Django answer (bad
    or missing input, a counter or the address not in the cache, the cache down, a request
    Django's middleware would redirect or refuse).
    """
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
    if not validate_host(split_domain_port(host)[0], settings.ALLOWED_HOSTS):
        return None
    secure = is_secure(environ)
    if settings.SECURE_SSL_REDIRECT and not secure:
        return None
    query = parse_qs(environ.get("QUERY_STRING", ""))
    seen = query.get("seen", [""])[-1]
    if not seen.isdigit() or parse_since(query.get("since", [""])[-1]) is None:
        return None
    keys = [_key(article_id), _published_key(article_id), _path_key(article_id)]
    try:
        found = cache.get_many(keys)
    except Exception:
        return None  # Django answers, and logs it
    version, published, path = (found.get(key) for key in keys)
    if version is None or published is None or path is None or int(published) < int(seen):
        return None
    tag = _etag(int(version), "")
    headers = [("ETag", tag), *POLL_HEADERS, *(_hsts() if secure else [])]
    if sent == tag:
        return "304 Not Modified", headers, b""
    body = render_news(int(published) - int(seen), str(path)).encode()
    headers += [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Length", str(len(body))),
        *_security_headers(),
    ]
    return "200 OK", headers, body


def answer_polls_early(app: WSGIApp) -> WSGIApp:
    """Wrap the WSGI application: answer live polls before Django's middleware and view, which
    cost several times the cache read itself (measured by scripts/bench_live.py).

    - A poll whose ETag is still the article's gets its 304 here, for any reader.
    - A signed-out reader's htmx poll gets its whole answer here, 304 or the few words of
      "N new comments", from the cache alone (`_early_news`): on a hot article most polls find
      news, and going through Django for each cost several times more than the rest together.

    Anything else goes to Django: a reader with a session (their own comments are not news to
    them, which takes their session and a query), bad input, a missing counter.

    Safe to skip the middleware for: the answer reads no session and writes nothing (no cookie,
    no row), it depends on the article alone for a browser without a session cookie, and the
    headers Django's middleware would add to a 200 are added here from the same settings.
    """

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        match = POLL_PATH.match(environ.get("PATH_INFO", ""))
        if match is None or environ.get("REQUEST_METHOD") != "GET":
            return app(environ, start_response)
        article_id = int(match["article_id"])
        sent = environ.get("HTTP_IF_NONE_MATCH")
        session = parse_cookie(environ.get("HTTP_COOKIE", "")).get(settings.SESSION_COOKIE_NAME, "")
        if not session and environ.get("HTTP_HX_REQUEST") == "true":
            answer = _early_news(environ, article_id, sent)
            if answer is not None:
                status, headers, body = answer
                start_response(status, headers)
                return [body] if body else []
        if sent:
            tag = etag_for(article_id, session)
            if tag is not None and sent == tag:
                start_response("304 Not Modified", [("ETag", tag), *POLL_HEADERS])
                return []
        return app(environ, start_response)

    return application
