from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytest_django import Settings

from comments import services, tasks
from comments.models import ClassifierModel
from tests.factories import make_article, make_comment, make_moderator, make_user

pytestmark = pytest.mark.django_db


def decide(count: int, batch: str = "a") -> None:
    moderator = make_moderator(f"mona-{batch}")
    article, author = make_article(f"story-{batch}"), make_user(f"writer-{batch}")
    for n in range(count):
        comment = make_comment(article=article, author=author, body=f"fine {n}", status="held")
        services.approve_comment(comment=comment, moderator=moderator)


def test_it_waits_for_enough_new_decisions(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.CLASSIFIER_RETRAIN_MIN_DECISIONS = 3
    monkeypatch.setattr(services, "train_classifier_version", pytest.fail)
    decide(2)

    assert services.retrain_if_enough_decisions() is None


def test_it_retrains_on_the_datasets_once_enough_decisions_arrived(
    settings: Settings, training_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.CLASSIFIER_RETRAIN_MIN_DECISIONS = 3
    settings.TRAINING_DATA_DIR = training_data_dir
    decide(3)
    calls: list[dict[str, Any]] = []
    real = services.train_classifier_version

    def quick(**kwargs: Any) -> services.TrainingOutcome:
        # The nightly run trains on everything; a slice keeps this test to seconds.
        calls.append(kwargs)
        return real(**kwargs, limit=2000)

    monkeypatch.setattr(services, "train_classifier_version", quick)

    tasks.retrain_classifier()

    assert calls[0]["data_dir"] == training_data_dir
    record = ClassifierModel.objects.get()
    assert record.is_active
    assert record.data_reference["moderator_decisions"]["toxicity"]["train"] == 2


def test_it_counts_only_decisions_since_the_active_model(settings: Settings) -> None:
    decide(2)
    ClassifierModel.objects.create(
        version=1, labels=[], artifact=b"", artifact_sha256="", is_active=True
    )
    decide(1, batch="b")

    assert services.decisions_since_active_model() == 1


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
