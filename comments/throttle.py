"""Counters in the shared cache: how often a key was hit in its current window.

Each window opens at a key's first hit and lasts `window_seconds`. Windows aligned to the clock
would let a burst that straddles a boundary through twice (`limit` at 11:59:59 and `limit` more
at 12:00:00); a window anchored at the first hit cannot be straddled.

Atomic where it matters: Redis's INCR gives each of many simultaneous requests, on any web
process on any host, its own number, so exactly `limit` of them pass. A count of rows written
so far could not: every request counted before any of them had written.
"""

from __future__ import annotations

import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)


def hit(key: str, *, window_seconds: int) -> int:
    """Count one hit on `key` in this window; return the window's count, this hit included."""
    slot = f"throttle:{key}"
    # add() creates the counter only if it is missing (SET NX), so concurrent first hits do not
    # reset each other; its expiry, set once here and never extended by incr(), ends the window.
    cache.add(slot, 0, timeout=window_seconds)
    try:
        return cache.incr(slot)
    except ValueError:
        # Expired between add() and incr(): this hit opens a new counter.
        cache.add(slot, 1, timeout=window_seconds)
        return 1


def allows(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one hit on `key`; True while the window's hits are within `limit`.

    With the cache down the request goes through (and it is logged): the throttle slows abuse,
    and a broken Redis must not stop readers from posting, as the broker's outage does not.
    """
    try:
        return hit(key, window_seconds=window_seconds) <= limit
    except Exception:
        logger.exception("throttle %s: the cache is unavailable; not throttling", key)
        return True
