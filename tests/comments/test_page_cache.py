"""A signed-out reader's whole article page, answered before Django (comments.page_cache).

These drive the served application (the wrapper around Django's own WSGI handler), so a page
goes through every middleware exactly as gunicorn would send it; `served.django` counts what
reached Django. Each change a reader can see must reach the next reader; rows changed with a
bare `update()` (which bumps nothing) show that a page really is answered from the cache.
"""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
import redis
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from articles.models import Article
from comments import page_cache
from comments.models import Comment
from comments.services import (
    approve_comment,
    edit_comment,
    feature_comment,
    toggle_reaction,
    unfeature_comment,
)
from moderation.services import update_article_settings
from tests.comments.test_section_cache import CHANGES
from tests.conftest import require_service
from tests.factories import make_article, make_comment, make_moderator, make_user

pytestmark = pytest.mark.django_db


class Served:
    """The served application, with Django behind it counted."""

    def __init__(self) -> None:
        self.django = 0
        self.inner = WSGIHandler()
        self.app = page_cache.answer_pages_early(self._django)

    def _django(self, environ: dict[str, Any], start_response: Any) -> Any:
        self.django += 1
        return self.inner(environ, start_response)

    def get(self, path: str, **environ: str) -> tuple[str, dict[str, str], str]:
        return call(self.app, path, **environ)


def call(app: Any, path: str, **environ: str) -> tuple[str, dict[str, str], str]:
    answered: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        answered.update(status=status, headers=headers)

    query = environ.pop("QUERY_STRING", "")
    request = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
        **environ,
    }
    result = app(request, start_response)
    try:
        body = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    headers = answered["headers"]
    assert len({name for name, _ in headers}) == len(headers), "a header sent twice"
    return answered["status"], dict(headers), body.decode()


@pytest.fixture
def served() -> Iterator[Served]:
    # As Django's test client does: a request must not close the test's connection.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    page_cache._known_articles.clear()
    page_cache._in_process.clear()
    try:
        yield Served()
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)
        page_cache._known_articles.clear()
        page_cache._in_process.clear()


@pytest.fixture
def story() -> tuple[Article, Comment, Any]:
    article = make_article()
    ann = make_user("ann")
    shown = make_comment(article=article, author=ann, body="First words", status="published")
    return article, shown, ann


def change_behind_its_back(comment: Comment) -> None:
    Comment.objects.filter(pk=comment.pk).update(body="Changed behind its back")


def test_the_early_answer_matches_the_articles_route() -> None:
    assert page_cache.PAGE_PATH.match(reverse("comments:article", kwargs={"slug": "a-b_c-1"}))


def test_a_signed_out_page_carries_no_csrf_token_and_sets_no_cookie(
    client: Any, story: tuple[Article, Comment, Any]
) -> None:
    article, _, _ = story
    response = client.get(article.get_absolute_url())
    html = response.content.decode()
    assert "X-CSRFToken" not in html and "csrfmiddlewaretoken" not in html
    assert not response.cookies
    client.force_login(make_user("rita"))
    assert "X-CSRFToken" in client.get(article.get_absolute_url()).content.decode()


def test_a_signed_out_page_is_answered_before_django_as_django_answered_it(
    served: Served,
    story: tuple[Article, Comment, Any],
    django_assert_num_queries: Any,
) -> None:
    article, shown, _ = story
    path = article.get_absolute_url()
    status, django_headers, django_body = served.get(path)  # Django renders it, and it is kept
    assert status == "200 OK" and served.django == 1
    change_behind_its_back(shown)

    with django_assert_num_queries(0):
        status, headers, body = served.get(path)

    assert served.django == 1
    assert status == "200 OK" and body == django_body and "First words" in body
    # Header for header what Django sent: security headers, CSP, Vary, Cache-Control, ETag.
    assert headers == django_headers
    for name in ("Content-Security-Policy", "X-Frame-Options", "ETag", "Vary", "Cache-Control"):
        assert name in headers
    assert int(headers["Content-Length"]) == len(body.encode())

    # The ETag back: a 304 before Django, with the headers of Django's own 304.
    tag = headers["ETag"]
    with django_assert_num_queries(0):
        status, headers, body = served.get(path, HTTP_IF_NONE_MATCH=tag)
    assert (status, body) == ("304 Not Modified", "") and served.django == 1
    _, django_304, _ = call(served.inner, path, HTTP_IF_NONE_MATCH=tag)
    assert headers == django_304
    # An old ETag gets the page, before Django too.
    assert served.get(path, HTTP_IF_NONE_MATCH='"old"')[0] == "200 OK"
    assert served.django == 1


def test_a_page_kept_by_one_process_serves_the_others(
    served: Served,
    story: tuple[Article, Comment, Any],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    article, shown, ann = story
    path = article.get_absolute_url()
    served.get(path)
    kept = dict(page_cache._in_process)
    page_cache._in_process.clear()  # another process: only the cache's copy
    with django_capture_on_commit_callbacks(execute=True):
        CHANGES["edit"](shown, ann, None)
    assert "New words" in served.get(path)[2] and served.django == 2  # it keeps the new page
    # Back in the first process, its own copy is of an old version: the cache's is served.
    page_cache._in_process.update(kept)
    change_behind_its_back(shown)
    assert "New words" in served.get(path)[2] and served.django == 2


def test_a_csrf_or_order_cookie_gets_the_kept_page_for_its_order(
    served: Served, story: tuple[Article, Comment, Any]
) -> None:
    article, shown, _ = story
    path = article.get_absolute_url()
    served.get(path)
    change_behind_its_back(shown)
    assert "First words" in served.get(path, HTTP_COOKIE="csrftoken=" + "x" * 32)[2]
    assert "First words" in served.get(path, HTTP_COOKIE="comment_order=oldest")[2]
    assert served.django == 1
    # Another order, page or thread is its own page, rendered afresh by Django.
    assert "Changed behind its back" in served.get(path, HTTP_COOKIE="comment_order=newest")[2]
    assert "Changed behind its back" in served.get(path, QUERY_STRING="page=2")[2]
    assert served.django == 3
    # So is an htmx request ("N new comments: show" asks for the page to take its thread):
    # Django answers it the first time (from the cached section), then it is kept too.
    assert served.get(path, HTTP_HX_REQUEST="true")[0] == "200 OK" and served.django == 4
    assert served.get(path, HTTP_HX_REQUEST="true")[0] == "200 OK" and served.django == 4


@pytest.mark.parametrize(
    "environ",
    [
        {"HTTP_COOKIE": "sessionid=abc"},  # a reader with a session: their own page
        {"HTTP_COOKIE": "messages=abc"},  # a flash message to show
        {"HTTP_COOKIE": "somebody_elses=1"},  # a cookie the kept page does not vouch for
        {"QUERY_STRING": "sort=oldest"},  # Django sets the order's cookie
        {"QUERY_STRING": "utm_source=x"},  # a parameter the cache does not key on
        {"QUERY_STRING": "page=" + "1" * 64},
        {"REQUEST_METHOD": "HEAD"},
        {"HTTP_HOST": "evil.example"},  # Django's 400
        {"CONTENT_LENGTH": "5"},
        {"HTTP_TRANSFER_ENCODING": "chunked"},
    ],
)
def test_anything_the_kept_page_may_not_be_right_for_goes_to_django(
    served: Served, story: tuple[Article, Comment, Any], environ: dict[str, str]
) -> None:
    article, _, _ = story
    served.get(article.get_absolute_url())
    served.get(article.get_absolute_url(), **environ)
    assert served.django == 2


def test_where_django_would_redirect_to_https_it_does(
    served: Served, story: tuple[Article, Comment, Any], settings: Settings
) -> None:
    article, _, _ = story
    path = article.get_absolute_url()
    served.get(path)
    settings.SECURE_SSL_REDIRECT = True
    served = Served()  # Django's middleware reads the setting when it loads
    assert served.get(path)[0].startswith("301") and served.django == 1
    https = {"wsgi.url_scheme": "https"}
    assert served.get(path, **https)[0] == "200 OK"  # kept under its scheme (HSTS)
    assert served.get(path, **https)[0] == "200 OK" and served.django == 2


def test_a_missing_article_or_a_cache_down_goes_to_django(
    served: Served, story: tuple[Article, Comment, Any]
) -> None:
    article, _, _ = story
    assert served.get("/articles/no-such-story/")[0].startswith("404")
    assert served.get("/articles/no-such-story/")[0].startswith("404")
    assert served.django == 2
    served.get(article.get_absolute_url())
    with mock.patch.object(cache, "get_many", side_effect=ConnectionError("down")):
        assert served.get(article.get_absolute_url())[0] == "200 OK"
    assert served.django == 4


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_readers_see_reaches_the_next_reader(
    served: Served,
    story: tuple[Article, Comment, Any],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    change: str,
) -> None:
    article, shown, ann = story
    path = article.get_absolute_url()
    before = served.get(path)[2]
    with django_capture_on_commit_callbacks(execute=True):
        CHANGES[change](shown, ann, make_moderator())
    after = served.get(path)[2]
    expected = {
        "reject": "0 comments</h3>",
        "edit": "New words",
        "delete": "Deleted by its author",
        "feature": 'id="featured-comments"',
    }[change]
    assert expected in after and expected not in before
    assert served.django == 2


def test_a_publish_reaches_the_next_reader(
    served: Served,
    story: tuple[Article, Comment, Any],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    article, _, _ = story
    held = make_comment(article=article, author=make_user("bob"), body="Held", status="held")
    assert "Held" not in served.get(article.get_absolute_url())[2]
    with django_capture_on_commit_callbacks(execute=True):
        approve_comment(comment=held, moderator=make_moderator())
    html = served.get(article.get_absolute_url())[2]
    assert "2 comments</h3>" in html and f'id="comment-{held.pk}"' in html


def test_unfeaturing_reaches_the_next_reader(
    served: Served,
    story: tuple[Article, Comment, Any],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    article, shown, _ = story
    moderator = make_moderator()
    with django_capture_on_commit_callbacks(execute=True):
        feature_comment(comment=shown, moderator=moderator)
    assert 'id="featured-comments"' in served.get(article.get_absolute_url())[2]
    with django_capture_on_commit_callbacks(execute=True):
        unfeature_comment(comment=shown, moderator=moderator)
    assert 'id="featured-comments"' not in served.get(article.get_absolute_url())[2]


def test_a_page_kept_with_the_copy_another_render_replaces_is_not_served_after(
    served: Served,
    story: tuple[Article, Comment, Any],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    article, shown, ann = story
    path = article.get_absolute_url()
    served.get(path)
    with django_capture_on_commit_callbacks(execute=True):
        edit_comment(comment=shown, author=ann, body="New words")
    # Another process holds the section's render lock: Django answers with the old copy, and
    # keeps that page under the old copy's version...
    with mock.patch.object(cache, "add", return_value=False):
        assert "First words" in served.get(path)[2]
    # ...which the next reader is not given: Django renders the change.
    assert "New words" in served.get(path)[2] and served.django == 3


def test_a_new_display_name_or_a_deleted_account_reaches_the_next_reader(
    served: Served,
    story: tuple[Article, Comment, Any],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    from accounts.services import delete_account, save_display_name

    article, _, ann = story
    path = article.get_absolute_url()
    assert ">ann</strong>" in served.get(path)[2]
    with django_capture_on_commit_callbacks(execute=True):
        save_display_name(user=ann, display_name="Ann Archer")
    assert ">Ann Archer</strong>" in served.get(path)[2]
    with django_capture_on_commit_callbacks(execute=True):
        delete_account(user=ann)
    html = served.get(path)[2]
    assert "Ann Archer" not in html and "First words" in html


def test_a_reaction_reaches_readers_once_its_coarser_grain_has_passed(
    served: Served,
    story: tuple[Article, Comment, Any],
    settings: Settings,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    article, shown, _ = story
    path = article.get_absolute_url()
    count = '<span class="reaction__count">1</span>'
    settings.COMMENT_SECTION_REACTION_SECONDS = 3600
    served.get(path)
    with django_capture_on_commit_callbacks(execute=True):
        toggle_reaction(comment=shown, reader=make_user("rea"))
    assert count not in served.get(path)[2]  # within the grain: the kept page
    assert served.django == 1
    settings.COMMENT_SECTION_REACTION_SECONDS = 0
    assert count in served.get(path)[2]
    assert served.django == 2


def test_closing_comments_reaches_the_next_reader(
    served: Served,
    story: tuple[Article, Comment, Any],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    article, _, _ = story
    path = article.get_absolute_url()
    served.get(path)
    with django_capture_on_commit_callbacks(execute=True):
        update_article_settings(
            article=article,
            moderator=make_moderator(),
            comment_policy="closed",
            close_comments_after_days=None,
        )
    assert "Comments are closed on this article." in served.get(path)[2]


def test_comments_closing_by_the_clock_reach_the_next_reader(served: Served) -> None:
    # Comments close by themselves in a minute: no write, nothing bumped.
    article = make_article(
        published_at=timezone.now() - timedelta(days=1, minutes=-1), close_comments_after_days=1
    )
    path = article.get_absolute_url()
    assert "Sign in</a>" in served.get(path)[2] and served.django == 1
    served.get(path)
    assert served.django == 1
    closes_at = article.published_at + timedelta(days=1)
    later = closes_at + timedelta(seconds=1)
    with (
        mock.patch("comments.page_cache.time.time", return_value=later.timestamp()),
        mock.patch("django.utils.timezone.now", return_value=later),
    ):
        html = served.get(path)[2]
    assert "Comments on this article closed on" in html and served.django == 2


def test_an_edit_to_the_story_reaches_readers_within_the_recheck(
    served: Served, story: tuple[Article, Comment, Any], settings: Settings
) -> None:
    # An edit in the admin bumps nothing: the kept page is asked of Django again in a while.
    article, _, _ = story
    path = article.get_absolute_url()
    served.get(path)
    Article.objects.filter(pk=article.pk).update(title="Corrected headline")
    assert "Corrected headline" not in served.get(path)[2]
    later = page_cache.time.time() + settings.COMMENT_PAGE_RECHECK_SECONDS + 1
    with mock.patch("comments.page_cache.time.time", return_value=later):
        assert "Corrected headline" in served.get(path)[2]
    assert served.django == 2


def test_the_served_application_answers_pages_early() -> None:
    from newsroom import wsgi

    app = wsgi.application
    inner = [c.cell_contents for c in app.__closure__ or () if callable(c.cell_contents)]
    assert any(f.__qualname__.startswith("answer_pages_early") for f in inner)


def test_the_kept_page_goes_through_redis(
    served: Served, story: tuple[Article, Comment, Any], settings: Settings
) -> None:
    # As served: the page pickled by the project's backend, beside Redis's own counters, in one
    # MGET.
    url = os.environ.get("TEST_CACHE_REDIS_URL", "redis://127.0.0.1:6379/10")
    try:
        answers = bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        answers = False
    require_service("Redis", answers, f"nothing answers at {url}")
    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {"BACKEND": "newsroom.cache.RedisCache", "LOCATION": url, "KEY_PREFIX": prefix}
    }
    article, shown, _ = story
    path = article.get_absolute_url()
    try:
        first = served.get(path)
        change_behind_its_back(shown)
        page_cache._in_process.clear()  # as another process, which has no copy of its own
        assert served.get(path) == first and served.django == 1
    finally:
        server = redis.Redis.from_url(url)
        keys = list(server.scan_iter(f"{prefix}:*"))
        if keys:
            server.delete(*keys)
