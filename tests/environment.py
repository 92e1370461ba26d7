"""Loaded with `-p` before pytest-django reads the settings: development mode, Redis db 15.

Settings default to production (DEBUG off, a secret key required, HTTPS redirects); tests run the
development configuration, as `make run` does, and pytest-django then turns DEBUG off itself.

A developer's `make run` worker consumes from database 0; a test's task published there could be
taken by it. `make` exports REDIS_URL to everything it runs, so this overrides, not defaults.
Celery workers the tests start inherit both.
The cache is in memory, per test process; the tests that need Redis's atomic counters point it
at a Redis database of their own.
"""

from __future__ import annotations

import os

os.environ["DJANGO_DEBUG"] = "1"
os.environ["REDIS_URL"] = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
os.environ["CACHE_URL"] = "locmem://"
