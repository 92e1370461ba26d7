from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from pytest_django import DjangoAssertNumQueries, Settings

from comments import model_versions, services, tasks
from comments.audit import record_comment_event
from comments.classifier.artifact import UntrustedArtifact
from comments.models import ClassifierModel, EventAction
from tests.factories import (
    make_article,
    make_classifier_model,
    make_comment,
    make_moderator,
    make_untrusted_artifact,
    make_user,
)

pytestmark = pytest.mark.django_db

HOSTILE = "you are a stupid idiot"
NEUTRAL = "thanks for the thoughtful article"


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
    monkeypatch.setattr(model_versions, "train_classifier_version", pytest.fail)
    decide(2)

    assert model_versions.retrain_if_enough_decisions() is None


def test_it_retrains_on_the_datasets_once_enough_decisions_arrived(
    settings: Settings, training_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.CLASSIFIER_RETRAIN_MIN_DECISIONS = 3
    settings.TRAINING_DATA_DIR = training_data_dir
    decide(3)
    calls: list[dict[str, Any]] = []
    real = model_versions.train_classifier_version

    def quick(**kwargs: Any) -> model_versions.TrainingOutcome:
        # The nightly run trains on everything; a slice keeps this test to seconds.
        calls.append(kwargs)
        return real(**kwargs, limit=2000)

    monkeypatch.setattr(model_versions, "train_classifier_version", quick)

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

    assert model_versions.decisions_since_active_model() == 1


def test_it_returns_none_without_an_active_model(artifact: bytes) -> None:
    make_classifier_model(version=1, artifact=artifact, active=False)

    assert model_versions.get_active_model() is None


def test_it_picks_up_a_newly_activated_version_without_a_restart(
    artifact: bytes, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    first = make_classifier_model(version=1, artifact=artifact, active=True)
    model = model_versions.get_active_model()
    assert model is not None and (model.record_id, model.version) == (first.pk, 1)
    assert model.score(HOSTILE)["toxicity"] > model.score(NEUTRAL)["toxicity"]
    with django_assert_num_queries(1):  # cached: only the cheap "which is active" query
        assert model_versions.get_active_model() is model

    second = make_classifier_model(version=2, artifact=artifact, active=True)

    model = model_versions.get_active_model()
    assert model is not None and (model.record_id, model.version) == (second.pk, 2)


def test_it_keeps_serving_the_loaded_model_when_the_new_one_is_untrusted(
    artifact: bytes,
    caplog: pytest.LogCaptureFixture,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    make_classifier_model(version=1, artifact=artifact, active=True)
    serving = model_versions.get_active_model()
    assert serving is not None

    make_classifier_model(version=2, artifact=make_untrusted_artifact(), active=True)

    with caplog.at_level(logging.ERROR, logger="comments.model_versions"):
        assert model_versions.get_active_model() is serving
        # The failed version is not fetched and loaded again on every comment.
        with django_assert_num_queries(1):
            assert model_versions.get_active_model() is serving
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "could not load classifier v2" in errors[0].getMessage()
    assert errors[0].exc_info is not None and errors[0].exc_info[0] is UntrustedArtifact


def test_it_returns_none_when_the_only_active_artifact_is_untrusted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    make_classifier_model(version=1, artifact=make_untrusted_artifact(), active=True)

    with caplog.at_level(logging.ERROR, logger="comments.model_versions"):
        assert model_versions.get_active_model() is None
    assert "could not load classifier v1" in caplog.text


def test_it_refuses_an_artifact_altered_after_it_was_stored(
    artifact: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    make_classifier_model(version=1, artifact=artifact, active=True, sha256="0" * 64)

    with caplog.at_level(logging.ERROR, logger="comments.model_versions"):
        assert model_versions.get_active_model() is None
    assert "does not match its sha256" in caplog.text


def test_it_reports_the_version_it_scores_with_and_why_not_the_active_one(
    artifact: bytes,
) -> None:
    assert model_versions.active_model_status() == model_versions.ModelStatus(None, "")
    make_classifier_model(version=1, artifact=artifact, active=True)
    assert model_versions.active_model_status() == model_versions.ModelStatus(1, "")

    make_classifier_model(version=2, artifact=artifact, active=True, sha256="0" * 64)

    status = model_versions.active_model_status()
    assert status.version == 1  # still serving the last version that loaded
    assert status.error.startswith("classifier v2: ArtifactError: ")
    assert "does not match its sha256" in status.error


def test_it_reads_moderators_decisions_as_each_labels_examples(settings: Settings) -> None:
    settings.CLASSIFIER_DECISIONS_HOLDOUT_SHARE = 0
    moderator, article, author = make_moderator(), make_article(), make_user()

    def held(body: str) -> Any:
        return make_comment(article=article, author=author, body=body, status="held")

    services.approve_comment(comment=held("fine"), moderator=moderator)
    services.reject_comment(comment=held("nasty"), moderator=moderator, reason="abusive")
    services.reject_comment(comment=held("buy now"), moderator=moderator, reason="spam")
    services.reject_comment(comment=held("elsewhere"), moderator=moderator, reason="off_topic")
    slip = held("slip")
    services.approve_comment(comment=slip, moderator=moderator)
    record_comment_event(  # what undo writes: the approval withdrawn
        comment=slip,
        actor=moderator,
        action=EventAction.UNDONE,
        from_status="published",
        to_status="held",
    )

    decisions = model_versions.moderator_decisions(labels=("toxicity", "spam"))

    assert decisions["toxicity"].texts == ["fine", "nasty"]
    assert decisions["toxicity"].targets.tolist() == [0, 1]
    assert decisions["spam"].texts == ["fine", "buy now"]
    assert decisions["spam"].targets.tolist() == [0, 1]
