"""The Redis cache backend (newsroom/cache.py): Django's, with one Redis client per pool."""

from __future__ import annotations

import os
import uuid

import pytest
import redis

from newsroom.cache import RedisCache
from tests.conftest import require_service

CACHE_REDIS_URL = os.environ.get("TEST_CACHE_REDIS_URL", "redis://127.0.0.1:6379/10")


@pytest.fixture
def backend() -> RedisCache:
    try:
        answers = bool(redis.Redis.from_url(CACHE_REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        answers = False
    require_service("Redis", answers, f"nothing answers at {CACHE_REDIS_URL}")
    # A key prefix of this test's own; its keys expire.
    return RedisCache(CACHE_REDIS_URL, {"KEY_PREFIX": f"test-{uuid.uuid4().hex}", "TIMEOUT": 60})


def test_it_reuses_one_client_for_every_call(backend: RedisCache) -> None:
    client = backend._cache.get_client(write=True)
    assert backend._cache.get_client(write=False) is client
    assert backend._cache.get_client("any-key", write=True) is client


def test_it_reads_and_writes_as_djangos_backend_does(backend: RedisCache) -> None:
    assert backend.add("counter", 7)
    assert backend.incr("counter", 2) == 9
    backend.set("path", "/articles/launch-story/")
    assert backend.get_many(["counter", "path", "missing"]) == {
        "counter": 9,
        "path": "/articles/launch-story/",
    }
    backend.delete("counter")
    assert backend.get("counter") is None
