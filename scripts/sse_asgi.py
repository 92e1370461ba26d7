"""Server-sent events for live updates: the alternative scripts/bench_sse.py measures.

Not part of the product (no page uses it): the project's Django app under an ASGI server, plus
one async view, `GET /sse/articles/<id>/?seen=<count>`, that holds the connection open and
sends `event: news` with the number of new comments each time one comes into view.

The design an SSE deployment would use without changing the product's writers: the counters
comments.live already keeps in the cache (bumped after commit by everything that publishes),
read by ONE watcher task per article per server process every CHECK_SECONDS, which wakes every
open connection on that article in the process (an asyncio.Event swapped on each change).
2,000 readers cost one cache read per article per interval, not 2,000; each reader costs a
coroutine, a socket, and a write per event. (Redis pub/sub would cut the delay to the
publisher's round trip, but needs a PUBLISH in live.bump_articles; the delay measured here is
bounded by CHECK_SECONDS.) A comment line every HEARTBEAT_SECONDS keeps proxies from closing an
idle stream, as they do after 60 s by default (nginx's proxy_read_timeout).

Run: `uvicorn --app-dir scripts sse_asgi:application` with PYTHONPATH at the repository;
SSE_EARLY=1 opens signed-out readers' streams before Django's middleware
(`answer_streams_early`), as the product answers their polls.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from typing import Any
from urllib.parse import parse_qs

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
application = get_asgi_application()

from django.conf import settings  # noqa: E402 (needs the app loaded)
from django.core.cache import cache  # noqa: E402
from django.http import Http404, HttpRequest, StreamingHttpResponse, parse_cookie  # noqa: E402
from django.http.request import split_domain_port, validate_host  # noqa: E402
from django.urls import include, path  # noqa: E402

from articles.models import Article  # noqa: E402
from comments import live  # noqa: E402

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[dict[str, Any], Receive, Send], Awaitable[None]]

CHECK_SECONDS = float(os.getenv("SSE_CHECK_SECONDS", "0.5"))
HEARTBEAT_SECONDS = 15.0


class ArticleWatch:
    """This process's open streams on one article, and the one task that reads its counter."""

    def __init__(self, article_id: int) -> None:
        self.article_id = article_id
        self.published: int | None = None
        self.changed = asyncio.Event()
        self.readers = 0
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        key = live._published_key(self.article_id)
        while self.readers:
            try:
                value = await cache.aget(key)
            except Exception:
                value = None  # the cache is down: readers wait, as polling readers would
            if value is not None and self.published is None:
                self.published = int(value)  # where this process starts: not news
            elif value is not None and int(value) != self.published:
                self.published = int(value)
                # Swap before waking: a stream that wakes and waits again waits for the next.
                changed, self.changed = self.changed, asyncio.Event()
                changed.set()
            await asyncio.sleep(CHECK_SECONDS)
        if WATCHES.get(self.article_id) is self:
            del WATCHES[self.article_id]


WATCHES: dict[int, ArticleWatch] = {}


def _watch(article_id: int) -> ArticleWatch:
    watch = WATCHES.get(article_id)
    if watch is None:
        watch = WATCHES[article_id] = ArticleWatch(article_id)
    return watch


async def _events(watch: ArticleWatch, seen: int) -> AsyncIterator[bytes]:
    watch.readers += 1
    if watch.task is None or watch.task.done():
        watch.task = asyncio.create_task(watch.run())
    try:
        yield f"retry: {int(settings.LIVE_POLL_SECONDS * 1000)}\n\n".encode()
        while True:
            changed = watch.changed
            try:
                await asyncio.wait_for(changed.wait(), HEARTBEAT_SECONDS)
            except TimeoutError:
                yield b": keep-alive\n\n"
                continue
            published = watch.published or 0
            news = {"new": max(0, published - seen), "published": published}
            yield f"event: news\ndata: {json.dumps(news)}\n\n".encode()
    finally:
        watch.readers -= 1


async def live_stream(request: HttpRequest, article_id: int) -> StreamingHttpResponse:
    """Stream "N new comments" on the article, for a signed-out reader, as they are published."""
    # As the poll's view: the article is looked up once per live.ARTICLE_PATH_SECONDS.
    path_key = live._path_key(article_id)
    if await cache.aget(path_key) is None:
        article = await Article.objects.live().filter(pk=article_id).afirst()
        if article is None:
            raise Http404
        await cache.aset(path_key, article.get_absolute_url(), live.ARTICLE_PATH_SECONDS)
    seen = request.GET.get("seen", "")
    response = StreamingHttpResponse(
        _events(_watch(article_id), int(seen) if seen.isdigit() else 0),
        content_type="text/event-stream",
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response


urlpatterns = [
    path("sse/articles/<int:article_id>/", live_stream),
    path("", include("newsroom.urls")),
]
settings.ROOT_URLCONF = __name__

STREAM_PATH = re.compile(r"^/sse/articles/(?P<article_id>[0-9]+)/$")


def answer_streams_early(app: ASGIApp) -> ASGIApp:
    """Open a signed-out reader's stream before Django's middleware, as newsroom.wsgi answers
    signed-out polls (live.answer_polls_early): the same events, the same headers a poll's 200
    gets, without the middleware's thread hops. Anything else goes to Django."""

    async def early(scope: dict[str, Any], receive: Receive, send: Send) -> None:
        match = STREAM_PATH.match(scope.get("path", "")) if scope["type"] == "http" else None
        if match is None or scope["method"] != "GET":
            return await app(scope, receive, send)
        headers = dict(scope["headers"])
        cookies = parse_cookie(headers.get(b"cookie", b"").decode("latin1"))
        host = headers.get(b"host", b"").decode("latin1")
        article_id = int(match["article_id"])
        if (
            cookies.get(settings.SESSION_COOKIE_NAME)
            or not validate_host(split_domain_port(host)[0], settings.ALLOWED_HOSTS)
            or await cache.aget(live._path_key(article_id)) is None
        ):
            return await app(scope, receive, send)
        seen = parse_qs(scope["query_string"].decode("latin1")).get("seen", [""])[-1]
        response_headers = [
            ("Content-Type", "text/event-stream"),
            ("Cache-Control", "no-cache"),
            ("X-Accel-Buffering", "no"),
            *live._security_headers(),
        ]
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(k.encode(), v.encode()) for k, v in response_headers],
            }
        )

        async def stream() -> None:
            events = _events(_watch(article_id), int(seen) if seen.isdigit() else 0)
            async with aclosing(events):
                async for chunk in events:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})

        # The stream ends when the reader goes: its task is cancelled, which leaves the watch.
        streaming = asyncio.create_task(stream())
        while (await receive())["type"] != "http.disconnect":
            pass
        streaming.cancel()

    return early


if os.getenv("SSE_EARLY") == "1":
    application = answer_streams_early(application)
