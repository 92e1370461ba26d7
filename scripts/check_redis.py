"""Say in one line whether Redis answers at REDIS_URL, and how to start one if not."""

from __future__ import annotations

import os
import sys

import redis

url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
try:
    redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2).ping()
except redis.RedisError as exc:
    print(
        f"No Redis answers at {url} ({exc}). Start one with `redis-server --daemonize yes` "
        "(Debian: `apt-get install redis-server`), or set REDIS_URL.",
        file=sys.stderr,
    )
    sys.exit(1)
