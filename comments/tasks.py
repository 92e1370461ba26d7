"""Celery entry points, and the helpers that publish them: the only module that talks to the broker.

It also keeps the little else that lives in the broker's Redis: the sweep's lock and the workers'
heartbeats (the bootstep that writes them, and the read that /healthz and /metrics use).

Web processes import this module to enqueue work, never to do it: each task imports the module
that does the work inside its body, so that enqueueing a comment never loads scikit-learn.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

import redis
from celery import bootsteps, shared_task
from django.conf import settings
from django.utils import timezone

from comments.models import Comment

logger = logging.getLogger(__name__)

SWEEP_LOCK_KEY = "newsroom:sweep-pending:lock"
# Longer than any sweep (500 enqueues, each given BROKER_SOCKET_TIMEOUT at most, and the first
# failure ends it); if the sweeping worker dies, the lock lapses on its own after this.
SWEEP_LOCK_SECONDS = 120
HEARTBEAT_PREFIX = "newsroom:worker-heartbeat:"


@shared_task(ignore_result=True, bind=True)
def score_comment(self: Any, comment_id: int) -> None:
    """Score one comment, with new ones waiting beside it; a re-delivered task for a decided
    comment changes nothing."""
    # Imported here, not above: a web process enqueues but never scores (sklearn takes seconds).
    from comments import scoring

    # Claimed under the task's id: redelivered after its worker died, it takes its comment back.
    claim = self.request.id or ""
    scoring.score_comments(
        comment_id=comment_id, batch_size=settings.SCORING_BATCH_SIZE, claim=claim
    )


@shared_task(ignore_result=True)
def explain_comment(comment_id: int) -> None:
    """Store the explanation of a comment decided without one, now that a person will see it."""
    from comments import scoring  # a web process enqueues but never explains (scikit-learn)

    scoring.explain_comment(comment_id=comment_id)


def enqueue_explanation(*, comment_id: int) -> None:
    """Publish an explanation task; on a broker failure log it, never raise (the comment's
    scores and reasons still show; only its highlights wait)."""
    try:
        explain_comment.apply_async(args=(comment_id,), retry=False)
    except Exception as exc:
        logger.warning(
            "could not enqueue the explanation of comment %s (%s: %s)",
            comment_id,
            type(exc).__name__,
            exc,
        )


@shared_task(ignore_result=True)
def sweep_pending_comments() -> int:
    """Re-enqueue comments a lost task, a dead worker or a broker outage left pending."""
    return sweep_pending()


# Acknowledged on receipt, unlike every other task: training runs for minutes, longer than the
# broker's visibility timeout, and a late ack would have Redis hand it to a second worker while
# the first still trains. If its worker dies, tomorrow night's run trains instead.
@shared_task(ignore_result=True, soft_time_limit=30 * 60, acks_late=False)
def retrain_classifier() -> None:
    """Nightly: retrain on the datasets plus new moderator decisions, once there are enough."""
    # Imported here, not above: a web process enqueues but never trains (sklearn takes seconds).
    from comments import model_versions

    model_versions.retrain_if_enough_decisions()


def enqueue_scoring(*, comment_id: int) -> bool:
    """Publish a scoring task; on a broker failure log it and return False, never raise."""
    try:
        # One short try (socket timeouts in settings): a reader must not wait on a dead broker.
        score_comment.apply_async(args=(comment_id,), retry=False)
    except Exception as exc:
        # One line, not a traceback: during an outage this repeats for every comment posted.
        logger.warning(
            "could not enqueue scoring for comment %s (%s: %s); the sweeper will retry it",
            comment_id,
            type(exc).__name__,
            exc,
        )
        return False
    return True


def broker_client() -> redis.Redis:
    """A short-timeout client of the broker's Redis (the Celery app's broker URL)."""
    timeout = settings.BROKER_SOCKET_TIMEOUT
    return redis.Redis.from_url(
        score_comment.app.conf.broker_url, socket_timeout=timeout, socket_connect_timeout=timeout
    )


@contextmanager
def single_sweep() -> Iterator[bool]:
    """Yield whether this process holds the sweep lock: True for one sweep at a time.

    Beat fires the sweep every interval; a slow sweep, a redelivered one or a second beat must
    not run beside it and enqueue the same comments twice. The lock lapses by itself after
    SWEEP_LOCK_SECONDS if the sweeping worker dies.
    """
    with single_flight(SWEEP_LOCK_KEY, seconds=SWEEP_LOCK_SECONDS) as mine:
        yield mine


@contextmanager
def single_flight(key: str, *, seconds: int) -> Iterator[bool]:
    """Yield whether this process holds the broker's Redis lock `key`, held for `seconds` at
    most (it lapses by itself if its holder dies): for periodic work that must not overlap."""
    lock = broker_client().lock(key, timeout=seconds)
    acquired = lock.acquire(blocking=False)
    try:
        yield bool(acquired)
    finally:
        if acquired:
            # LockError: it lapsed during work longer than `seconds`.
            with suppress(redis.exceptions.LockError):
                lock.release()


def sweep_pending(*, older_than: timedelta | None = None, limit: int = 500) -> int:
    """Re-enqueue comments left pending too long; return how many were enqueued.

    A lost task, a dead worker or a broker outage leaves a comment pending; this brings it back.
    One sweep runs at a time (`single_sweep`). `scoring_requested_at` moves only for comments
    actually enqueued, so a broker outage leaves them due for the next sweep; each re-request
    doubles the wait before the next (`due_for_scoring_again`). Comments that SCORING_MAX_ATTEMPTS
    workers began and none finished are held for a person instead.
    """
    if older_than is None:
        older_than = timedelta(seconds=settings.SWEEP_PENDING_AFTER_SECONDS)
    try:
        with single_sweep() as alone:
            if not alone:
                logger.info("sweeper skipped: another sweep is running")
                return 0
            return _sweep(older_than, limit)
    except redis.RedisError as exc:
        logger.warning(
            "sweeper left pending comments for the next sweep: broker unavailable (%s: %s)",
            type(exc).__name__,
            exc,
        )
        return 0


def _sweep(older_than: timedelta, limit: int) -> int:
    # Imported here, not above: scoring loads scikit-learn, which a web process never needs.
    from comments import scoring

    for comment_id in Comment.objects.out_of_attempts().values_list("id", flat=True):
        scoring.hold_unscorable(comment_id=comment_id)
    due_ids = list(
        Comment.objects.due_for_scoring_again(older_than)
        .order_by("scoring_requested_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    enqueued: list[int] = []
    for comment_id in due_ids:
        if not enqueue_scoring(comment_id=comment_id):
            break  # the broker is down: the rest would each wait out the same timeout
        enqueued.append(comment_id)
    if enqueued:
        Comment.objects.filter(pk__in=enqueued).update(scoring_requested_at=timezone.now())
        logger.info("sweeper re-enqueued %d pending comment(s)", len(enqueued))
    if len(enqueued) < len(due_ids):
        logger.warning(
            "sweeper left %d pending comment(s) for the next sweep: broker unavailable",
            len(due_ids) - len(enqueued),
        )
    return len(enqueued)


@dataclass(frozen=True)
class Heartbeat:
    """What one worker last said about itself: who, and the model it scores with or why not."""

    worker: str
    pid: int
    model_version: int | None
    model_error: str
    at: float  # seconds since the epoch

    @property
    def age_seconds(self) -> float:
        return max(0.0, time.time() - self.at)


def record_heartbeat(heartbeat: Heartbeat) -> None:
    """Publish a worker's heartbeat; it expires unless renewed (WORKER_HEARTBEAT_TTL_SECONDS)."""
    broker_client().set(
        HEARTBEAT_PREFIX + heartbeat.worker,
        json.dumps(asdict(heartbeat)),
        ex=max(1, round(settings.WORKER_HEARTBEAT_TTL_SECONDS)),
    )


def forget_heartbeat(worker: str) -> None:
    broker_client().delete(HEARTBEAT_PREFIX + worker)


def live_heartbeats() -> list[Heartbeat]:
    """Every live worker's latest heartbeat, by name; raises redis.RedisError if unreachable."""
    client = broker_client()
    keys = sorted(client.scan_iter(match=HEARTBEAT_PREFIX + "*", count=100))
    values = client.mget(keys) if keys else []
    return [Heartbeat(**json.loads(value)) for value in values if value is not None]


class WorkerHeartbeat(bootsteps.StartStopStep):
    """A worker bootstep: write this worker's heartbeat now and every WORKER_HEARTBEAT_SECONDS.

    It reports the model the worker scores with, loaded here the way every scoring process
    loads it, so a worker that cannot load the active version says so (/healthz, /metrics and
    the moderation pages read it) instead of quietly holding every comment "unscored".
    """

    requires = ("celery.worker.components:Timer",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.tref: Any = None

    def start(self, parent: Any) -> None:
        self.beat(parent.hostname)
        self.tref = parent.timer.call_repeatedly(
            settings.WORKER_HEARTBEAT_SECONDS, self.beat, (parent.hostname,), priority=10
        )

    def stop(self, parent: Any) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None
        with suppress(redis.RedisError):  # it expires by itself anyway
            forget_heartbeat(parent.hostname)

    def beat(self, worker: str) -> None:
        # Imported here, not above: only a worker loads the model (scikit-learn).
        from comments import model_versions

        try:
            status = model_versions.active_model_status()
            version, error = status.version, status.error
        except Exception as exc:  # the database is down: say so rather than stop beating
            version, error = None, f"cannot read the active model: {type(exc).__name__}: {exc}"
        try:
            record_heartbeat(Heartbeat(worker, os.getpid(), version, error, time.time()))
        except redis.RedisError as exc:
            logger.warning("could not write the worker heartbeat: %s", exc)
