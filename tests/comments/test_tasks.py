from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import redis
import redis.lock
from django.conf import settings
from django.utils import timezone

from comments import tasks
from comments.models import CommentStatus, EventAction, ModerationEvent
from tests.conftest import require_service
from tests.factories import make_article, make_comment, make_user

pytestmark = pytest.mark.django_db


def test_it_sweeps_only_comments_pending_longer_than_the_threshold(enqueued: list[int]) -> None:
    article, author = make_article(), make_user()
    old = timezone.now() - timedelta(seconds=120)
    stale = make_comment(article=article, author=author, scoring_requested_at=old)
    make_comment(article=article, author=author)  # just posted: its own task is on its way
    make_comment(article=article, author=author, status="held", scoring_requested_at=old)

    assert tasks.sweep_pending(older_than=timedelta(seconds=60)) == 1
    assert enqueued == [stale.pk]
    stale.refresh_from_db()
    assert stale.scoring_requested_at > old
    # Asked again only after another full interval.
    assert tasks.sweep_pending(older_than=timedelta(seconds=60)) == 0


def test_it_leaves_comments_due_when_the_broker_is_down(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tasks, "enqueue_scoring", lambda comment_id: False)
    old = timezone.now() - timedelta(seconds=120)
    comment = make_comment(article=make_article(), author=make_user(), scoring_requested_at=old)
    assert tasks.sweep_pending(older_than=timedelta(seconds=60)) == 0
    comment.refresh_from_db()
    assert comment.scoring_requested_at == old


def test_beat_runs_every_scheduled_task_by_a_registered_name() -> None:
    from celery.schedules import crontab
    from django.conf import settings as django_settings

    from newsroom.celery import app

    app.loader.import_default_modules()
    schedule = django_settings.CELERY_BEAT_SCHEDULE
    for entry in schedule.values():
        assert entry["task"] in app.tasks
    nightly = schedule["retrain-classifier-nightly"]["schedule"]
    assert isinstance(nightly, crontab)
    assert nightly.hour == {3} and nightly.minute == {0}


@pytest.fixture(autouse=True)
def sweep_lock() -> Iterator[redis.lock.Lock]:
    """The sweep's lock lives in Redis (the tests' database): free before and after each test."""
    require_service("Redis", redis_answers(), tasks.score_comment.app.conf.broker_url)
    client = tasks.broker_client()
    client.delete(tasks.SWEEP_LOCK_KEY)
    yield client.lock(tasks.SWEEP_LOCK_KEY, timeout=tasks.SWEEP_LOCK_SECONDS)
    client.delete(tasks.SWEEP_LOCK_KEY)


def redis_answers() -> bool:
    try:
        return bool(tasks.broker_client().ping())
    except redis.RedisError:
        return False


def test_it_runs_one_sweep_at_a_time(enqueued: list[int], sweep_lock: redis.lock.Lock) -> None:
    old = timezone.now() - timedelta(seconds=120)
    comment = make_comment(article=make_article(), author=make_user(), scoring_requested_at=old)

    assert sweep_lock.acquire(blocking=False)  # another sweep is running
    assert tasks.sweep_pending(older_than=timedelta(seconds=60)) == 0
    assert enqueued == []
    sweep_lock.release()

    assert tasks.sweep_pending(older_than=timedelta(seconds=60)) == 1
    assert enqueued == [comment.pk]


def test_it_waits_longer_after_each_request_for_a_comment_still_queued(
    enqueued: list[int],
) -> None:
    article, author, now = make_article(), make_user(), timezone.now()
    # Posted 10 minutes ago, last asked for 2 minutes ago after waiting 8: still in a backlog,
    # most likely; it is due again only once it has waited another 8.
    queued = make_comment(
        article=article,
        author=author,
        created_at=now - timedelta(minutes=10),
        scoring_requested_at=now - timedelta(minutes=2),
    )
    # Asked for 6 minutes ago after waiting 4: due.
    due = make_comment(
        article=article,
        author=author,
        created_at=now - timedelta(minutes=10),
        scoring_requested_at=now - timedelta(minutes=6),
    )

    assert tasks.sweep_pending(older_than=timedelta(seconds=60)) == 1
    assert enqueued == [due.pk]
    queued.refresh_from_db()
    assert queued.scoring_requested_at == now - timedelta(minutes=2)


def test_it_holds_comments_whose_workers_died_scoring_them(
    enqueued: list[int], settings: Any
) -> None:
    settings.SCORING_MAX_ATTEMPTS = 3
    old = timezone.now() - timedelta(seconds=600)
    article, author = make_article(), make_user()
    # Three workers began it and none finished (each died): never enqueued again.
    poison = make_comment(
        article=article, author=author, scoring_requested_at=old, scoring_attempts=3
    )
    retried = make_comment(
        article=article, author=author, scoring_requested_at=old, scoring_attempts=2
    )

    assert tasks.sweep_pending(older_than=timedelta(seconds=60)) == 1

    assert enqueued == [retried.pk]
    poison.refresh_from_db()
    assert poison.status == CommentStatus.HELD
    assert poison.reason_codes == ["scoring_failed"]
    event = ModerationEvent.objects.get(comment=poison)
    assert event.action == EventAction.SCORING_FAILED
    assert event.note == "Scoring failed 3 times: the worker stopped while scoring it"


def test_it_acknowledges_retraining_on_receipt_and_scoring_once_done() -> None:
    # Retraining runs longer than the visibility timeout: a late ack would run it twice.
    assert tasks.retrain_classifier.acks_late is False
    assert tasks.score_comment.acks_late is True


def test_it_keeps_each_workers_heartbeat_until_it_expires() -> None:
    beat = tasks.Heartbeat("celery@test-heartbeat", 42, 3, "", 1_000_000.0)
    tasks.record_heartbeat(beat)
    try:
        assert beat in tasks.live_heartbeats()
        ttl = tasks.broker_client().ttl(tasks.HEARTBEAT_PREFIX + beat.worker)
        assert 0 < ttl <= settings.WORKER_HEARTBEAT_TTL_SECONDS
    finally:
        tasks.forget_heartbeat(beat.worker)
    assert beat not in tasks.live_heartbeats()


def test_a_worker_keeps_its_database_connection_across_tasks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Celery's fix-up would close it around every task; Django's own rule (CONN_MAX_AGE, or
    a broken connection) decides instead, as around a request."""
    import django.db
    from celery import signals
    from celery.fixups.django import DjangoWorkerFixup

    from newsroom.celery import app

    fixup = DjangoWorkerFixup(app)
    closed: list[str] = []
    monkeypatch.setattr(fixup, "_close_database", lambda: closed.append("fix-up"))
    for _ in range(1000):
        fixup.on_task_prerun(sender=tasks.score_comment)
        fixup.on_task_postrun(sender=tasks.score_comment)
    assert closed == []

    monkeypatch.setattr(django.db, "close_old_connections", lambda: closed.append("django"))

    class Sent:
        class request:
            is_eager = False

    signals.task_prerun.send(sender=Sent)
    signals.task_postrun.send(sender=Sent)
    assert closed == ["django", "django"]
    Sent.request.is_eager = True  # run in the caller's process: its connection, not the task's
    signals.task_postrun.send(sender=Sent)
    assert closed == ["django", "django"]
