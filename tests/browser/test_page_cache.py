"""A signed-out reader's article page answered before Django (comments.page_cache), in Chromium.

pytest-django's live server runs Django's own handler; here the page is served as gunicorn
serves it, through newsroom/wsgi.py's wrappers, so the kept page's headers (its
Content-Security-Policy above all) and its htmx are what a browser really gets.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any
from wsgiref.simple_server import make_server

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import QuietWSGIRequestHandler
from playwright.sync_api import ConsoleMessage, Page, expect

from comments import page_cache
from comments.live import answer_polls_early
from comments.services import approve_comment
from tests.browser.axe import assert_accessible
from tests.factories import make_article, make_comment, make_moderator, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


class CountingDjango:
    """Django behind the wrappers, with the paths that reached it."""

    def __init__(self) -> None:
        self.inner = StaticFilesHandler(WSGIHandler())
        self.paths: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        self.paths.append(environ["PATH_INFO"])
        return self.inner(environ, start_response)


@pytest.fixture
def served(transactional_db: None, settings: Any) -> Iterator[tuple[str, CountingDjango]]:
    settings.LIVE_POLL_SECONDS = 1
    settings.SECURE_SSL_REDIRECT = False
    page_cache._known_articles.clear()
    page_cache._in_process.clear()
    django = CountingDjango()
    app = answer_polls_early(page_cache.answer_pages_early(django))  # as newsroom/wsgi.py
    # Django's own threaded server, as its live server uses: it closes each request's
    # database connections.
    server = make_server(
        "127.0.0.1", 0, app, server_class=ThreadedWSGIServer, handler_class=QuietWSGIRequestHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", django
    finally:
        server.shutdown()
        server.server_close()
        page_cache._known_articles.clear()
        page_cache._in_process.clear()


def test_the_kept_page_works_in_the_browser_as_djangos_did(
    served: tuple[str, CountingDjango], new_page: Callable[[], Page]
) -> None:
    base_url, django = served
    article = make_article()
    author, moderator = make_user("rita"), make_moderator()
    make_comment(article=article, author=author, body="Already here.", status="published")
    held = make_comment(article=article, author=author, body="Worth waiting for.", status="held")
    path = article.get_absolute_url()

    new_page().goto(base_url + path)  # the first reader: Django renders the page and keeps it
    visitor = new_page()
    errors: list[str] = []
    visitor.on("console", lambda m: errors.append(m.text) if _is_error(m) else None)
    visitor.goto(base_url + path)
    visitor.wait_for_load_state("load")

    assert django.paths.count(path) == 1  # the second reader's page came from the cache
    assert visitor.locator("body").get_attribute("hx-headers") is None  # no CSRF token
    expect(visitor.locator("#comments-count")).to_have_text("1 comment")
    for width in (1280, 375):
        visitor.set_viewport_size({"width": width, "height": 900})
        assert_accessible(visitor)

    # Its htmx and its poll work under the kept Content-Security-Policy.
    visitor.evaluate("window.__marker = 1")  # gone if the page reloads
    approve_comment(comment=held, moderator=moderator)
    news = visitor.locator("#live-news")
    expect(news).to_have_text("1 new comment: show")
    news.get_by_role("link", name="show").click()
    expect(visitor.locator("ol.comment-list")).to_contain_text("Worth waiting for.")
    expect(visitor.locator("#comments-count")).to_have_text("2 comments")
    assert visitor.evaluate("window.__marker") == 1
    assert errors == []  # a CSP violation is reported on the console

    # The next reader gets the new page, not the kept old one.
    later = new_page()
    later.goto(base_url + path)
    expect(later.locator("#comments-count")).to_have_text("2 comments")


def _is_error(message: ConsoleMessage) -> bool:
    return message.type == "error"
