"""Live updates for readers: the article's version counter and the poll an open page sends."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
import redis
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from comments import live, model_versions
from comments.models import Comment, CommentStatus
from comments.scoring import score_comment
from comments.services import approve_comment, reject_comment, report_comment, restore_comment
from moderation.services import (
    dismiss_reports,
    moderate_in_bulk,
    new_batch,
    undo_bulk,
    undo_decision,
)
from tests.conftest import require_service
from tests.factories import (
    SafeScores,
    make_article,
    make_comment,
    make_established_reader,
    make_user,
)

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def poll(client: Client, article: Any, since: Any, **headers: str) -> Any:
    url = reverse("comments:live", kwargs={"article_id": article.pk})
    return client.get(url, {"since": since.isoformat()}, **headers)


def version(article: Any) -> int:
    current = live.article_version(article.pk)
    assert current is not None
    return current


@pytest.fixture
def article() -> Any:
    return make_article()


@pytest.fixture
def reader() -> Any:
    return make_user("rita")


def test_it_says_how_many_comments_were_published_since_the_page_was_shown(
    client: Client, article: Any, reader: Any
) -> None:
    shown_at = timezone.now()
    make_comment(
        article=article,
        author=reader,
        status=CommentStatus.PUBLISHED,
        decided_at=shown_at - timedelta(seconds=5),
    )
    for _ in range(2):
        make_comment(
            article=article,
            author=reader,
            status=CommentStatus.PUBLISHED,
            decided_at=shown_at + timedelta(seconds=1),
        )
    make_comment(
        article=article,
        author=reader,
        status=CommentStatus.HELD,
        decided_at=shown_at + timedelta(seconds=1),
    )

    response = poll(client, article, shown_at, **HX)

    assert response.status_code == 200
    html = response.content.decode()
    assert "2 new comments:" in html
    assert f'href="{article.get_absolute_url()}#comments"' in html
    assert response["Cache-Control"] == "private, no-cache" or set(
        response["Cache-Control"].split(", ")
    ) == {"private", "no-cache"}
    assert "Cookie" in response["Vary"]


def test_it_answers_304_without_a_query_while_the_version_is_unchanged(
    client: Client, article: Any, django_assert_num_queries: Any
) -> None:
    shown_at = timezone.now()
    first = poll(client, article, shown_at, **HX)
    etag = first["ETag"]

    with django_assert_num_queries(0):
        again = poll(client, article, shown_at, HTTP_IF_NONE_MATCH=etag, **HX)

    assert again.status_code == 304
    assert again["ETag"] == etag


def test_a_publication_changes_the_etag_so_the_next_poll_sees_it(
    client: Client,
    article: Any,
    reader: Any,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(model_versions, "get_active_model", SafeScores)
    shown_at = timezone.now()
    etag = poll(client, article, shown_at, **HX)["ETag"]
    comment = make_comment(article=article, author=reader)

    with django_capture_on_commit_callbacks(execute=True):
        assert score_comment(comment_id=comment.pk).status == CommentStatus.PUBLISHED

    response = poll(client, article, shown_at, HTTP_IF_NONE_MATCH=etag, **HX)
    assert response.status_code == 200
    assert response["ETag"] != etag
    assert "1 new comment:" in response.content.decode()


def test_the_readers_own_comments_are_not_news_to_them(
    client: Client, article: Any, reader: Any
) -> None:
    shown_at = timezone.now()
    make_comment(
        article=article,
        author=reader,
        status=CommentStatus.PUBLISHED,
        decided_at=shown_at + timedelta(seconds=1),
    )
    client.force_login(reader)

    response = poll(client, article, shown_at, **HX)

    assert response.status_code == 200
    assert "new comment" not in response.content.decode()
    # Another reader's browser has its own ETag: one must never be answered with the other's.
    other = Client()
    assert poll(other, article, shown_at, **HX)["ETag"] != response["ETag"]


def test_without_javascript_it_sends_the_reader_to_the_comments(
    client: Client, article: Any
) -> None:
    response = poll(client, article, timezone.now())
    assert response.status_code == 302
    assert response["Location"] == f"{article.get_absolute_url()}#comments"


@pytest.mark.parametrize("since", ["", "yesterday", "2026-01-01T10:00:00"])
def test_it_refuses_a_missing_malformed_or_naive_time(
    client: Client, article: Any, since: str
) -> None:
    url = reverse("comments:live", kwargs={"article_id": article.pk})
    response = client.get(url, {"since": since} if since else {}, **HX)
    assert response.status_code == 400


def test_it_answers_404_for_an_unknown_article(client: Client) -> None:
    url = reverse("comments:live", kwargs={"article_id": 4040})
    assert client.get(url, {"since": timezone.now().isoformat()}, **HX).status_code == 404


def test_it_still_answers_in_full_when_the_cache_is_down(
    client: Client, article: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("redis is down")

    monkeypatch.setattr(live.cache, "get", broken)
    response = poll(client, article, timezone.now(), **HX)
    assert response.status_code == 200
    assert not response.has_header("ETag")


def test_the_article_page_polls_for_news(client: Client, article: Any) -> None:
    html = client.get(article.get_absolute_url()).content.decode()
    assert reverse("comments:live", kwargs={"article_id": article.pk}) + "?since=" in html
    assert 'id="comment-thread"' in html
    assert "js/live.js" in html


# Every change a reader can see bumps the article's version, after commit; the rest do not.


def bumped(article: Any, change: Any, capture: Any) -> bool:
    before = version(article)
    with capture(execute=True):
        change()
    return version(article) != before


def test_single_decisions_bump_when_the_public_list_changes(
    article: Any, reader: Any, moderator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    held = make_comment(article=article, author=reader, status=CommentStatus.HELD)
    other = make_comment(article=article, author=reader, status=CommentStatus.HELD)

    assert bumped(article, lambda: approve_comment(comment=held, moderator=moderator), capture)
    assert bumped(article, lambda: reject_comment(comment=held, moderator=moderator), capture)
    assert bumped(article, lambda: restore_comment(comment=held, moderator=moderator), capture)
    assert bumped(article, lambda: undo_decision(comment=held, moderator=moderator), capture)
    # A held comment rejected was never shown: nobody's page changes.
    assert not bumped(article, lambda: reject_comment(comment=other, moderator=moderator), capture)


def test_hiding_by_reports_and_showing_again_bump(
    article: Any,
    reader: Any,
    moderator: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.MODERATION_HIDE_AFTER_REPORTS = 1
    comment = make_comment(article=article, author=reader, status=CommentStatus.PUBLISHED)
    reporter = make_established_reader("rex", article=make_article("elsewhere"))
    capture = django_capture_on_commit_callbacks

    assert bumped(
        article,
        lambda: report_comment(comment=comment, reporter=reporter, reason="spam"),
        capture,
    )
    assert bumped(article, lambda: dismiss_reports(comment=comment, moderator=moderator), capture)


def test_bulk_decisions_and_their_undo_bump_every_article_they_touch(
    reader: Any, moderator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    first, second, untouched = make_article("one"), make_article("two"), make_article("three")
    make_comment(article=first, author=reader, status=CommentStatus.HELD)
    make_comment(article=second, author=reader, status=CommentStatus.PUBLISHED)
    make_comment(article=untouched, author=make_user("una"), status=CommentStatus.PUBLISHED)
    before = {a.pk: version(a) for a in (first, second, untouched)}
    batch = new_batch()

    with django_capture_on_commit_callbacks(execute=True):
        moderate_in_bulk(
            comments=Comment.objects.by_author(reader),
            moderator=moderator,
            decision="reject",
            batch=batch,
        )
    # The held one was never public; the published one left the page.
    assert version(first) == before[first.pk]
    assert version(second) != before[second.pk]
    assert version(untouched) == before[untouched.pk]

    middle = version(second)
    with django_capture_on_commit_callbacks(execute=True):
        undo_bulk(batch=batch, moderator=moderator)
    assert version(second) != middle
    assert version(untouched) == before[untouched.pk]


def test_nothing_is_bumped_when_the_transaction_rolls_back(
    article: Any, reader: Any, moderator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    held = make_comment(article=article, author=reader, status=CommentStatus.HELD)
    before = version(article)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        approve_comment(comment=held, moderator=moderator)
    assert len(callbacks) == 1  # waiting for the commit, which the test transaction never does
    assert version(article) == before


# The early answer, before Django's middleware (newsroom.wsgi).


class Inner:
    """Stands in for Django behind the wrapper, to see which requests reach it."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.paths.append(environ["PATH_INFO"])
        start_response("200 OK", [])
        return [b"django"]


def call(app: Any, path: str, **environ: str) -> tuple[str, dict[str, str]]:
    status, headers, _ = call_for_body(app, path, **environ)
    return status, headers


def call_for_body(app: Any, path: str, **environ: str) -> tuple[str, dict[str, str], str]:
    answered: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answered.update(status=status, headers=dict(headers))

    request = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "HTTP_HOST": "testserver", **environ}
    body = b"".join(app(request, start_response))
    return answered["status"], answered["headers"], body.decode()


def test_the_early_answer_matches_the_polls_route() -> None:
    path = reverse("comments:live", kwargs={"article_id": 42})
    match = live.POLL_PATH.match(path)
    assert match is not None and match["article_id"] == "42"


def test_an_unchanged_poll_is_answered_before_django_without_a_query(
    article: Any, django_assert_num_queries: Any
) -> None:
    inner = Inner()
    app = live.answer_polls_early(inner)
    path = reverse("comments:live", kwargs={"article_id": article.pk})
    cookie = "sessionid=abc123; csrftoken=x"
    tag = live.etag_for(article.pk, "abc123")
    assert tag is not None

    with django_assert_num_queries(0):
        status, headers = call(app, path, HTTP_IF_NONE_MATCH=tag, HTTP_COOKIE=cookie)

    assert status == "304 Not Modified"
    assert headers["ETag"] == tag
    assert headers["Cache-Control"] == "private, no-cache"
    assert inner.paths == []


def test_anything_else_goes_to_django(article: Any) -> None:
    inner = Inner()
    app = live.answer_polls_early(inner)
    path = reverse("comments:live", kwargs={"article_id": article.pk})
    someone_elses = live.etag_for(article.pk, "another-session")
    assert someone_elses is not None

    assert call(app, path)[0] == "200 OK"  # no ETag sent
    assert call(app, path, HTTP_IF_NONE_MATCH=someone_elses)[0] == "200 OK"
    assert call(app, path, HTTP_IF_NONE_MATCH='"1-0"')[0] == "200 OK"  # an old version
    assert (
        call(app, "/favicon.ico", HTTP_IF_NONE_MATCH=live.etag_for(article.pk, "") or "")[0]
        == "200 OK"
    )
    assert len(inner.paths) == 4


def test_the_served_application_is_wrapped() -> None:
    from newsroom import wsgi

    assert wsgi.application.__qualname__.startswith("answer_polls_early")


# The published counter: a page's "N new" from the cache alone.


def seen_on_page(client: Client, article: Any) -> int:
    html = client.get(article.get_absolute_url()).content.decode()
    return int(html.split("&amp;seen=", 1)[1].split('"', 1)[0])


def poll_seen(client: Client, article: Any, seen: int, **headers: str) -> Any:
    url = reverse("comments:live", kwargs={"article_id": article.pk})
    since = (timezone.now() - timedelta(minutes=1)).isoformat()
    return client.get(url, {"since": since, "seen": seen}, **HX, **headers)


def test_a_signed_out_reader_learns_of_news_from_the_cache_alone(
    client: Client,
    article: Any,
    reader: Any,
    moderator: Any,
    django_capture_on_commit_callbacks: Any,
    django_assert_num_queries: Any,
) -> None:
    seen = seen_on_page(client, article)
    held = [make_comment(article=article, author=reader, status="held") for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        approve_comment(comment=held[0], moderator=moderator)
        moderate_in_bulk(
            comments=Comment.objects.filter(pk__in=[c.pk for c in held[1:]]),
            moderator=moderator,
            decision="approve",
        )
        # Leaving the page is not news: the count of new ones does not go down or up.
        reject_comment(comment=held[0], moderator=moderator)

    with django_assert_num_queries(1):  # the article, for its address; no count
        response = poll_seen(client, article, seen)

    assert "3 new comments:" in response.content.decode()


def test_a_signed_in_reader_is_not_told_of_their_own(
    client: Client,
    article: Any,
    reader: Any,
    moderator: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client.force_login(reader)
    seen = seen_on_page(client, article)
    mine = make_comment(article=article, author=reader, status="held")
    theirs = make_comment(article=article, author=make_user("sam"), status="held")
    with django_capture_on_commit_callbacks(execute=True):
        approve_comment(comment=mine, moderator=moderator)
        approve_comment(comment=theirs, moderator=moderator)

    assert "1 new comment:" in poll_seen(client, article, seen).content.decode()


def test_a_lost_counter_falls_back_to_the_database(
    client: Client, article: Any, reader: Any
) -> None:
    make_comment(article=article, author=reader, status="published", decided_at=timezone.now())
    live.cache.delete(f"live:published:{article.pk}")
    # The page was shown with a count the restarted counter has not reached.
    assert "1 new comment:" in poll_seen(client, article, 7).content.decode()


# The signed-out reader's whole answer, before Django (live.answer_polls_early): on a hot
# article most polls find news.


def signed_out_poll(article: Any, seen: int, **environ: str) -> dict[str, str]:
    since = (timezone.now() - timedelta(minutes=1)).isoformat()
    return {
        "QUERY_STRING": urlencode({"since": since, "seen": seen}),
        "HTTP_HX_REQUEST": "true",
        **environ,
    }


def publish_on(article: Any, author: Any, moderator: Any, capture: Any) -> None:
    held = make_comment(article=article, author=author, status=CommentStatus.HELD)
    with capture(execute=True):
        approve_comment(comment=held, moderator=moderator)


def test_a_signed_out_readers_news_is_answered_before_django_without_a_query(
    client: Client,
    article: Any,
    reader: Any,
    moderator: Any,
    django_capture_on_commit_callbacks: Any,
    django_assert_num_queries: Any,
) -> None:
    seen = seen_on_page(client, article)
    path = reverse("comments:live", kwargs={"article_id": article.pk})
    inner = Inner()
    app = live.answer_polls_early(inner)
    environ = signed_out_poll(article, seen)
    # The first poll goes to Django, which looks the article up and keeps its address.
    django = client.get(f"{path}?{environ['QUERY_STRING']}", **HX)
    assert django.status_code == 200
    assert django.content == b""  # nothing new yet
    publish_on(article, reader, moderator, django_capture_on_commit_callbacks)
    publish_on(article, reader, moderator, django_capture_on_commit_callbacks)

    with django_assert_num_queries(0):
        status, headers, body = call_for_body(app, path, **environ)

    assert inner.paths == []
    assert status == "200 OK"
    assert "2 new comments:" in body
    assert f'href="{article.get_absolute_url()}#comments"' in body
    # Word for word and header for header what Django answers to the same poll, security
    # headers included (only the length's spelling may differ).
    django = client.get(f"{path}?{environ['QUERY_STRING']}", **HX)
    assert django.content.decode() == body
    assert {k: v for k, v in django.items() if k != "Content-Length"} == {
        k: v for k, v in headers.items() if k != "Content-Length"
    }
    assert int(headers["Content-Length"]) == len(body.encode())
    assert not django.cookies  # nor does Django set a cookie the early answer would leave out

    # The browser sends the ETag back: unchanged, a 304 (still before Django).
    status, headers, body = call_for_body(app, path, HTTP_IF_NONE_MATCH=headers["ETag"], **environ)
    assert status == "304 Not Modified" and body == ""
    assert inner.paths == []


def test_the_early_answer_is_nothing_while_nothing_was_published(
    client: Client, article: Any
) -> None:
    seen = seen_on_page(client, article)
    poll(client, article, timezone.now(), **HX)  # the first poll: Django starts the version
    app = live.answer_polls_early(Inner())
    path = reverse("comments:live", kwargs={"article_id": article.pk})

    status, headers, body = call_for_body(app, path, **signed_out_poll(article, seen))

    assert (status, body) == ("200 OK", "")
    assert headers["ETag"] == live.etag_for(article.pk, "")


def test_a_reader_with_a_session_is_answered_by_django(
    client: Client,
    article: Any,
    reader: Any,
    moderator: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # Their own comments are not news to them: that takes their session and a query.
    seen = seen_on_page(client, article)
    live.remember_article_path(article.pk, article.get_absolute_url())
    publish_on(article, reader, moderator, django_capture_on_commit_callbacks)
    inner = Inner()
    app = live.answer_polls_early(inner)
    path = reverse("comments:live", kwargs={"article_id": article.pk})

    status, _ = call(app, path, HTTP_COOKIE="sessionid=abc123", **signed_out_poll(article, seen))

    assert status == "200 OK" and inner.paths == [path]


@pytest.mark.parametrize(
    "change",
    [
        {"HTTP_HX_REQUEST": ""},  # not htmx: Django sends them to the page
        {"QUERY_STRING": "since=yesterday&seen=0"},  # Django's 400
        {"QUERY_STRING": "since=2026-01-01T10%3A00%3A00%2B00%3A00"},  # no `seen`: counted by Django
        {"HTTP_HOST": "evil.example"},  # Django's 400 for a host it does not serve
        {"REQUEST_METHOD": "POST"},
    ],
)
def test_a_poll_the_early_answer_cannot_vouch_for_goes_to_django(
    client: Client, article: Any, change: dict[str, str]
) -> None:
    seen = seen_on_page(client, article)
    live.remember_article_path(article.pk, article.get_absolute_url())
    inner = Inner()
    app = live.answer_polls_early(inner)
    path = reverse("comments:live", kwargs={"article_id": article.pk})

    call(app, path, **{**signed_out_poll(article, seen), **change})

    assert inner.paths == [path]


def test_the_early_answer_needs_the_articles_address_and_its_counters(
    client: Client, article: Any, settings: Any
) -> None:
    seen = seen_on_page(client, article)
    inner = Inner()
    app = live.answer_polls_early(inner)
    path = reverse("comments:live", kwargs={"article_id": article.pk})
    environ = signed_out_poll(article, seen)

    call(app, path, **environ)  # no version nor address yet: only Django knows the article
    poll(client, article, timezone.now(), **HX)
    live.cache.delete(f"live:published:{article.pk}")
    call(app, path, **environ)  # the count was lost: Django counts in the database
    assert inner.paths == [path, path]

    # Where Django would redirect to HTTPS, it does.
    live.published_count(article.pk)
    settings.SECURE_SSL_REDIRECT = True
    call(app, path, **environ)
    assert inner.paths == [path, path, path]
    assert call(app, path, **environ, **{"wsgi.url_scheme": "https"})[0] == "200 OK"
    assert len(inner.paths) == 3


def test_django_keeps_the_articles_address_for_the_early_answer(
    client: Client, article: Any
) -> None:
    poll(client, article, timezone.now(), **HX)
    assert live.cache.get(f"live:path:{article.pk}") == article.get_absolute_url()


def test_the_early_answer_reads_the_counters_from_redis(
    client: Client,
    article: Any,
    reader: Any,
    moderator: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # As served: Redis's own counters (INCR, stored as plain integers) and the address, in one
    # MGET through the project's backend.
    url = os.environ.get("TEST_CACHE_REDIS_URL", "redis://127.0.0.1:6379/10")
    try:
        answers = bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        answers = False
    require_service("Redis", answers, f"nothing answers at {url}")
    settings.CACHES = {
        "default": {
            "BACKEND": "newsroom.cache.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }
    seen = seen_on_page(client, article)
    poll(client, article, timezone.now(), **HX)
    publish_on(article, reader, moderator, django_capture_on_commit_callbacks)
    inner = Inner()
    path = reverse("comments:live", kwargs={"article_id": article.pk})

    status, headers, body = call_for_body(
        live.answer_polls_early(inner), path, **signed_out_poll(article, seen)
    )

    assert (status, inner.paths) == ("200 OK", [])
    assert "1 new comment:" in body
    assert headers["ETag"] == live.etag_for(article.pk, "")
    for key in ("article", "published", "path"):  # no test leaves keys without an expiry
        live.cache.touch(f"live:{key}:{article.pk}", 60)


def test_a_signed_in_readers_poll_looks_the_article_up_only_when_its_address_is_unknown(
    client: Client,
    article: Any,
    reader: Any,
    moderator: Any,
    django_capture_on_commit_callbacks: Any,
    django_assert_num_queries: Any,
) -> None:
    client.force_login(make_user("sam"))
    seen = seen_on_page(client, article)
    publish_on(article, reader, moderator, django_capture_on_commit_callbacks)
    # The session, its user, the article (then remembered) and the count of their own.
    with django_assert_num_queries(4):
        assert "1 new comment:" in poll_seen(client, article, seen).content.decode()
    publish_on(article, reader, moderator, django_capture_on_commit_callbacks)
    with django_assert_num_queries(3):
        assert "2 new comments:" in poll_seen(client, article, seen).content.decode()
