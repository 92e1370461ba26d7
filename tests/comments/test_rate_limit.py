"""The posting rate limit is an atomic counter in the shared cache, not a count of past rows.

Counting the author's recent comments let simultaneous posts all see "4 so far" and all pass;
Redis's INCR gives each post its own number, so exactly the limit get through.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from typing import Any

import pytest
import redis
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse

from comments import throttle
from comments.models import Comment
from tests.conftest import require_service
from tests.factories import make_article, make_user

# The cache tests use their own Redis database: never the broker's, never a developer's.
CACHE_REDIS_URL = os.environ.get("TEST_CACHE_REDIS_URL", "redis://127.0.0.1:6379/10")
POSTERS = 50


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def redis_cache(settings: Any) -> None:
    """Point the default cache at a real Redis, under a key prefix of this test's own (its
    counters expire with their window: nothing to clean up)."""
    answers = redis_answers(CACHE_REDIS_URL)
    require_service("Redis", answers, f"nothing answers at {CACHE_REDIS_URL}")
    settings.CACHES = {
        "default": {
            "BACKEND": "newsroom.cache.RedisCache",  # as settings.py has it
            "LOCATION": CACHE_REDIS_URL,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }


# Serialized like every transactional test here: its flush must not leave rows the next restores.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_lets_exactly_the_limit_through_when_posts_arrive_at_once(
    redis_cache: None, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from comments.tasks import score_comment

    monkeypatch.setattr(score_comment, "apply_async", lambda args, **kw: None)
    settings.COMMENT_RATE_LIMIT = 5
    article = make_article()
    rita = make_user("rita")
    url = reverse("comments:post", kwargs={"slug": article.slug})
    start = threading.Barrier(POSTERS)
    statuses: list[int] = []

    def post(n: int) -> None:
        client = Client()
        client.force_login(rita)
        try:
            start.wait()
            statuses.append(client.post(url, {"body": f"Post number {n}"}).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(n,)) for n in range(POSTERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [302] * 5 + [429] * (POSTERS - 5)
    assert Comment.objects.filter(author=rita).count() == 5


@pytest.mark.django_db
def test_it_counts_per_author_and_per_window(settings: Any) -> None:
    settings.COMMENT_RATE_LIMIT = 1
    article = make_article()
    rita, otto = Client(), Client()
    rita.force_login(make_user("rita"))
    otto.force_login(make_user("otto"))
    url = reverse("comments:post", kwargs={"slug": article.slug})
    assert rita.post(url, {"body": "one"}).status_code == 302
    assert rita.post(url, {"body": "two"}).status_code == 429
    assert otto.post(url, {"body": "mine"}).status_code == 302
    cache.clear()  # the window is over
    assert rita.post(url, {"body": "three"}).status_code == 302


@pytest.mark.django_db
def test_an_invalid_post_does_not_spend_the_allowance(settings: Any) -> None:
    settings.COMMENT_RATE_LIMIT = 1
    article = make_article()
    client = Client()
    client.force_login(make_user("rita"))
    url = reverse("comments:post", kwargs={"slug": article.slug})
    assert client.post(url, {"body": ""}).status_code == 400
    assert client.post(url, {"body": "now with words"}).status_code == 302


def test_it_lets_a_post_through_when_the_cache_is_down(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def down(*args: Any, **kwargs: Any) -> None:
        raise redis.ConnectionError("Connection refused")

    monkeypatch.setattr(cache, "add", down)
    assert throttle.allows("comment:1", limit=1, window_seconds=60)
    assert "the cache is unavailable" in caplog.text


def test_a_window_opens_at_the_first_hit_and_is_not_extended_by_later_ones() -> None:
    # Windows aligned to the clock let a burst straddling a boundary through twice; a window
    # anchored at its first hit cannot be straddled, and later hits must not push its end back.
    cache.clear()
    assert [throttle.hit("anchor", window_seconds=1) for _ in range(3)] == [1, 2, 3]
    time.sleep(0.6)
    assert throttle.hit("anchor", window_seconds=1) == 4
    time.sleep(0.6)  # 1.2 s after the first hit: a new window, whatever the later hits did
    assert throttle.hit("anchor", window_seconds=1) == 1
