from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import skops.io as sio
from pytest_django import DjangoAssertNumQueries
from sklearn.ensemble import RandomForestClassifier

from comments import classifier
from comments.classifier import ActiveModel, ArtifactError, UntrustedArtifact
from comments.classifier.data import JIGSAW
from tests.comments.conftest import TRAINING_ROWS
from tests.factories import make_classifier_model

HOSTILE = "you are a stupid idiot"
NEUTRAL = "thanks for the thoughtful article"
SPAMMY = "check out my channel and please subscribe"


class Smuggled:
    """A type no artifact may hold."""


@pytest.fixture(autouse=True)
def fresh_model_cache() -> Iterator[None]:
    classifier.clear_model_cache()
    yield
    classifier.clear_model_cache()


def make_model(trained: classifier.TrainedModel) -> ActiveModel:
    return ActiveModel(record_id=0, version=0, pipelines=trained.pipelines)


def test_it_validates_above_a_floor_on_a_small_slice(trained: classifier.TrainedModel) -> None:
    assert trained.labels == classifier.LABELS
    assert trained.metrics["toxicity"]["roc_auc"] >= 0.85
    assert trained.metrics["spam"]["roc_auc"] >= 0.9
    for label, metrics in trained.metrics.items():
        files = trained.data_reference["files"][label]
        rows = files["rows"] + files.get("negatives_rows", 0)
        validated = metrics["n_validation"] + metrics.get("n_validation_borrowed", 0)
        assert metrics["n_train"] + validated == rows
        assert 0.15 < validated / rows < 0.25
    # Spam also learns from ordinary discussion, which it must not mistake for spam.
    assert trained.data_reference["files"]["spam"]["negatives_rows"] > 0
    assert trained.metrics["spam"]["borrowed_negatives_p90_score"] < 0.4


def test_it_splits_validation_by_id_deterministically() -> None:
    ids = [f"{n:016x}" for n in range(1000)]
    first = [classifier.is_validation(i) for i in ids]
    assert first == [classifier.is_validation(i) for i in ids]
    assert 150 < sum(first) < 250


def test_it_records_data_and_library_versions(trained: classifier.TrainedModel) -> None:
    toxicity = trained.data_reference["files"]["toxicity"]
    assert toxicity["path"] == "jigsaw/train.csv"
    assert len(toxicity["sha256"]) == 64
    assert trained.data_reference["limit"] == TRAINING_ROWS
    assert trained.data_reference["split"] == classifier.SPLIT_RULE
    assert set(trained.library_versions) >= {"python", "scikit-learn", "skops", "numpy"}


def test_it_scores_floats_in_the_unit_interval_per_label(
    trained: classifier.TrainedModel,
) -> None:
    scores = make_model(trained).score(NEUTRAL)

    assert set(scores) == set(classifier.LABELS)
    assert all(type(score) is float and 0.0 <= score <= 1.0 for score in scores.values())


def test_it_scores_hostile_text_as_more_toxic_than_neutral_text(
    trained: classifier.TrainedModel,
) -> None:
    model = make_model(trained)

    assert model.score(HOSTILE)["toxicity"] > model.score(NEUTRAL)["toxicity"]
    assert model.score(SPAMMY)["spam"] > model.score(NEUTRAL)["spam"]


def test_it_scores_many_texts_as_it_scores_one(trained: classifier.TrainedModel) -> None:
    model = make_model(trained)

    many = model.score_many([HOSTILE, NEUTRAL])

    assert many == {
        label: [model.score(HOSTILE)[label], model.score(NEUTRAL)[label]]
        for label in classifier.LABELS
    }
    assert model.score_many([]) == {label: [] for label in classifier.LABELS}


def test_it_round_trips_through_skops_with_identical_scores(
    trained: classifier.TrainedModel, artifact: bytes
) -> None:
    loaded = ActiveModel(record_id=0, version=0, pipelines=classifier.deserialize(artifact))

    texts = [HOSTILE, NEUTRAL, SPAMMY]
    assert loaded.labels == classifier.LABELS
    assert loaded.score_many(texts) == make_model(trained).score_many(texts)


def test_it_refuses_an_artifact_holding_an_untrusted_class() -> None:
    data = sio.dumps({"toxicity": Smuggled()})

    with pytest.raises(UntrustedArtifact) as refused:
        classifier.deserialize(data)

    assert refused.value.types == [f"{__name__}.Smuggled"]


def test_it_refuses_scikit_learn_types_outside_the_trusted_list() -> None:
    # skops itself trusts every scikit-learn estimator; our list is narrower on purpose.
    data = sio.dumps({"toxicity": RandomForestClassifier(n_estimators=1)})
    assert sio.get_untrusted_types(data=data) == []

    with pytest.raises(UntrustedArtifact, match=r"sklearn\.ensemble\._forest\.RandomForest"):
        classifier.deserialize(data)


def test_it_refuses_bytes_that_are_not_a_skops_artifact() -> None:
    with pytest.raises(ArtifactError, match="not a skops artifact"):
        classifier.deserialize(b"not a zip file")


@pytest.mark.django_db
def test_it_returns_none_without_an_active_model(artifact: bytes) -> None:
    make_classifier_model(version=1, artifact=artifact, active=False)

    assert classifier.get_active_model() is None


@pytest.mark.django_db
def test_it_picks_up_a_newly_activated_version_without_a_restart(
    artifact: bytes, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    first = make_classifier_model(version=1, artifact=artifact, active=True)
    model = classifier.get_active_model()
    assert model is not None and (model.record_id, model.version) == (first.pk, 1)
    assert model.score(HOSTILE)["toxicity"] > model.score(NEUTRAL)["toxicity"]
    with django_assert_num_queries(1):  # cached: only the cheap "which is active" query
        assert classifier.get_active_model() is model

    second = make_classifier_model(version=2, artifact=artifact, active=True)

    model = classifier.get_active_model()
    assert model is not None and (model.record_id, model.version) == (second.pk, 2)


@pytest.mark.django_db
def test_it_keeps_serving_the_loaded_model_when_the_new_one_is_untrusted(
    artifact: bytes,
    caplog: pytest.LogCaptureFixture,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    make_classifier_model(version=1, artifact=artifact, active=True)
    serving = classifier.get_active_model()
    assert serving is not None

    make_classifier_model(version=2, artifact=sio.dumps({"toxicity": Smuggled()}), active=True)

    with caplog.at_level(logging.ERROR, logger="comments.classifier"):
        assert classifier.get_active_model() is serving
        # The failed version is not fetched and loaded again on every comment.
        with django_assert_num_queries(1):
            assert classifier.get_active_model() is serving
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "could not load classifier v2" in errors[0].getMessage()
    assert errors[0].exc_info is not None and errors[0].exc_info[0] is UntrustedArtifact


@pytest.mark.django_db
def test_it_returns_none_when_the_only_active_artifact_is_untrusted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    make_classifier_model(version=1, artifact=sio.dumps({"toxicity": Smuggled()}), active=True)

    with caplog.at_level(logging.ERROR, logger="comments.classifier"):
        assert classifier.get_active_model() is None
    assert "could not load classifier v1" in caplog.text


@pytest.mark.django_db
def test_it_refuses_an_artifact_altered_after_it_was_stored(
    artifact: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    make_classifier_model(version=1, artifact=artifact, active=True, sha256="0" * 64)

    with caplog.at_level(logging.ERROR, logger="comments.classifier"):
        assert classifier.get_active_model() is None
    assert "does not match its sha256" in caplog.text


def expected_calibration_error(reliability: list[dict[str, float]]) -> float:
    rows = sum(row["count"] for row in reliability)
    return (
        sum(row["count"] * abs(row["mean_score"] - row["positive_rate"]) for row in reliability)
        / rows
    )


def test_its_toxicity_probabilities_are_calibrated(
    trained: classifier.TrainedModel, training_data_dir: Path
) -> None:
    figures = trained.metrics["toxicity"]
    assert expected_calibration_error(figures["reliability"]) < 0.05
    validation = trained.validation["toxicity"]
    mean_score = float(validation.scores[validation.own].mean())
    assert mean_score == pytest.approx(float(validation.targets[validation.own].mean()), abs=0.03)

    # The same slice without the Platt step scores worse: the calibration earns its place.
    plain = replace(JIGSAW, recipe=replace(JIGSAW.recipe, calibration_folds=0))
    examples = classifier.read_examples(plain, data_dir=training_data_dir, limit=TRAINING_ROWS)
    _, uncalibrated, _ = classifier.fit_label(examples)
    assert figures["brier"] < uncalibrated["brier"]
