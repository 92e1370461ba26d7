"""A signed-out reader's whole article page, kept in the cache and answered before Django.

Every signed-out reader of an article gets the same page: the story, the comment section that
comments.reading keeps in the cache, and no CSRF token (base.html gives one to signed-in
readers only: nothing on a signed-out page posts). So the page Django answered one of them is
kept, body and headers exactly as Django's middleware finished them, and the next signed-out
reader's GET is answered from it by the WSGI wrapper (newsroom/wsgi.py): one MGET of the
article's two versions (and of the page itself, when this process holds no valid copy of it),
no middleware, no query, no template. A page is most of what a breaking story's readers ask
for, and through Django even with its section cached it cost several times the cache read
(scripts/bench_load.py measures both).

A kept page is served while it is exactly as valid as the comment section inside it: the
article's version it was rendered at is still the article's (every change readers see bumps it
after commit), and its reaction counts are within the section's coarser grain. It is served for
at most COMMENT_PAGE_RECHECK_SECONDS, and never past the moment comments close by the clock:
then the next reader goes through Django, which looks the story up again (so an edit in the
admin, or a story taken down or given a new address, shows within that long) and keeps the page
afresh.

Anything the kept page might not be right for goes to Django: a cookie other than the CSRF
token's and the comment order's (a session, flash messages, anything unknown), a query string
the section does not key on, `?sort=` (its answer sets the order's cookie), a request with a
body, a host or scheme Django's middleware would refuse or redirect, the cache missing or down.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import parse_qs

from django.conf import settings
from django.core.cache import cache
from django.http import parse_cookie
from django.http.request import split_domain_port, validate_host
from django.utils.http import parse_etags

from comments import live
from comments.models import CommentOrder
from comments.reading import SECTION_QUERY_MAX_LENGTH

# The article page's route (comments.urls, "comments:article"); tests/comments/test_page_cache.py
# checks that the two agree. Were they to differ, every page would simply go through Django.
PAGE_PATH = re.compile(r"^/articles/[-a-zA-Z0-9_]+/$")
# The query parameters a kept page may carry: the section's, less `sort`, which sets a cookie.
PAGE_PARAMETERS = frozenset({"page", "thread"})
# Where the view tells the wrapper that the page it answered may be kept, and under what.
KEEP = "newsroom.page_cache.keep"
# How many article addresses each process remembers the article of (a page's key needs the id
# to read its versions in the same MGET); past that it forgets them all and relearns.
KNOWN_ARTICLES_MAX = 10_000
_known_articles: dict[str, int] = {}
# How many pages each process keeps a copy of (at about 100 KB each), checked against the
# versions in the cache at every request; past that it forgets them all.
IN_PROCESS_MAX = 32
_in_process: dict[str, dict[str, Any]] = {}


@dataclass(frozen=True)
class Keep:
    """What a page was rendered at (its comment section's versions and time), the moment it
    stops being valid by itself, and its ETag: set by the view, read by the wrapper."""

    article_id: int
    version: int
    reactions: int
    at: float
    valid_until: float
    etag: str


def keep_page(environ: dict[str, Any], keep: Keep) -> None:
    """Let the wrapper keep the page this request is answered (the view vouches for it)."""
    environ[KEEP] = keep


def _cookies_allowed() -> frozenset[str]:
    return frozenset({settings.CSRF_COOKIE_NAME, settings.COMMENT_ORDER_COOKIE})


def page_key(environ: dict[str, Any]) -> str | None:
    """The cache key of the page this request would get, or None: let Django answer it."""
    path = environ.get("PATH_INFO", "")
    if environ.get("REQUEST_METHOD") != "GET" or not PAGE_PATH.match(path):
        return None
    if environ.get("CONTENT_LENGTH", "0") not in ("", "0") or "HTTP_TRANSFER_ENCODING" in environ:
        return None  # Django's body limit answers those
    cookies = parse_cookie(environ.get("HTTP_COOKIE", ""))
    if not cookies.keys() <= _cookies_allowed():
        return None
    query = environ.get("QUERY_STRING", "")
    if len(query) > SECTION_QUERY_MAX_LENGTH:
        return None
    if not parse_qs(query, keep_blank_values=True).keys() <= PAGE_PARAMETERS:
        return None
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
    domain = split_domain_port(host)[0]
    if not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    if settings.PREPEND_WWW and not domain.startswith("www."):
        return None
    secure = live.is_secure(environ)
    if settings.SECURE_SSL_REDIRECT and not secure:
        return None
    # As comments.reading.comment_order reads it, the URL having no `sort`.
    order = cookies.get(settings.COMMENT_ORDER_COOKIE, "")
    if order not in CommentOrder.values:
        order = CommentOrder.OLDEST.value  # the value: the key is built from its repr
    htmx = environ.get("HTTP_HX_REQUEST") == "true"
    variant = repr((path, query, order, htmx, secure))
    return f"page:{hashlib.blake2b(variant.encode(), digest_size=12).hexdigest()}"


def cached_answer(
    environ: dict[str, Any], key: str
) -> tuple[str, list[tuple[str, str]], bytes] | None:
    """The kept page's answer (status, headers, body): 200, or 304 for the ETag the browser
    holds. None when there is no valid kept page, or the cache cannot say."""
    article_id = _known_articles.get(environ["PATH_INFO"])
    if article_id is None:
        return None  # this process has not seen the article yet: Django looks it up
    versions = live.section_version_keys(article_id)
    # The copy this process last served, if any: then only the two versions cross the wire,
    # not the whole page (as long again as the rest of the answer, in CPU).
    entry = _in_process.get(key)
    try:
        found = cache.get_many(versions if entry is not None else [key, *versions])
        if entry is not None and not _valid(entry, article_id, found, versions):
            found = cache.get_many([key, *versions])
            entry = None
    except Exception:
        return None  # Django answers, and logs it
    if entry is None:
        entry = found.get(key)
        if entry is None or not _valid(entry, article_id, found, versions):
            return None
        _keep_in_process(key, entry)
    headers: list[tuple[str, str]] = entry["headers"]
    if _not_modified(environ.get("HTTP_IF_NONE_MATCH"), entry["etag"]):
        # What Django's 304 carries: the same headers, without a type and with no length.
        unchanged = [(k, v) for k, v in headers if k not in ("Content-Type", "Content-Length")]
        return "304 Not Modified", [*unchanged, ("Content-Length", "0")], b""
    return "200 OK", headers, entry["body"]


def _valid(entry: dict[str, Any], article_id: int, found: dict[str, Any], keys: list[str]) -> bool:
    """Whether the kept page is still what Django would answer: rendered at the article's
    current version, its reaction counts within their grain, before its own expiry."""
    version, reactions = (found.get(k) for k in keys)
    if version is None or reactions is None:
        return False
    now = time.time()
    return (
        entry["article_id"] == article_id
        and entry["version"] == int(version)
        and now < entry["valid_until"]
        and (
            entry["reactions"] == int(reactions)
            or now - entry["at"] < settings.COMMENT_SECTION_REACTION_SECONDS
        )
    )


def _keep_in_process(key: str, entry: dict[str, Any]) -> None:
    if len(_in_process) >= IN_PROCESS_MAX:
        _in_process.clear()
    _in_process[key] = entry


def _not_modified(if_none_match: str | None, etag: str) -> bool:
    # As django.utils.cache.get_conditional_response compares them (weakly).
    if not if_none_match:
        return False
    sent = parse_etags(if_none_match)
    return sent == ["*"] or any(tag.removeprefix("W/") == etag for tag in sent)


def keep(environ: dict[str, Any], key: str, headers: list[tuple[str, str]], body: bytes) -> None:
    """Keep the page Django answered this request, if its view vouched for it."""
    vouched: Keep | None = environ.get(KEEP)
    if vouched is None or any(name.lower() == "set-cookie" for name, _ in headers):
        return
    entry = {**asdict(vouched), "headers": list(headers), "body": body}
    try:
        cache.set(key, entry, timeout=settings.COMMENT_SECTION_CACHE_SECONDS)
    except Exception:
        return  # nothing lost: the next reader goes through Django again
    if len(_known_articles) >= KNOWN_ARTICLES_MAX:
        _known_articles.clear()
    _known_articles[environ["PATH_INFO"]] = vouched.article_id
    _keep_in_process(key, entry)


def answer_pages_early(app: live.WSGIApp) -> live.WSGIApp:
    """Wrap the WSGI application: answer a signed-out reader's article page from the kept copy,
    before Django; keep the page Django answers when there is none."""

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        key = page_key(environ)
        if key is None:
            return app(environ, start_response)
        answer = cached_answer(environ, key)
        if answer is not None:
            status, headers, body = answer
            start_response(status, headers)
            return [body] if body else []
        answered: dict[str, Any] = {}

        def noting_start_response(status: str, headers: list[Any], exc_info: Any = None) -> Any:
            answered.update(status=status, headers=headers)
            if exc_info is None:
                return start_response(status, headers)
            return start_response(status, headers, exc_info)

        result = app(environ, noting_start_response)
        if KEEP not in environ or answered.get("status") != "200 OK":
            return result
        try:
            body = b"".join(result)
        finally:
            # What the server would do: Django's request_finished (connections, and so on).
            close = getattr(result, "close", None)
            if close is not None:
                close()
        keep(environ, key, answered["headers"], body)
        return [body]

    return application
