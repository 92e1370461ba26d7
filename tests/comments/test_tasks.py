from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from comments import tasks
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


def test_it_acknowledges_retraining_on_receipt_and_scoring_once_done() -> None:
    # Retraining runs longer than the visibility timeout: a late ack would run it twice.
    assert tasks.retrain_classifier.acks_late is False
    assert tasks.score_comment.acks_late is True
