"""Training one pipeline per label: validation, the split, what a trained model records."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from comments.classifier.data import JIGSAW, SPLIT_RULE, is_validation, read_examples
from comments.classifier.labels import LABELS
from comments.classifier.pipeline import positive_probabilities
from comments.classifier.training import TrainedModel, fit_label
from tests.conftest import TRAINING_ROWS


def test_it_validates_above_a_floor_on_a_small_slice(trained: TrainedModel) -> None:
    assert trained.labels == LABELS
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
    first = [is_validation(i) for i in ids]
    assert first == [is_validation(i) for i in ids]
    assert 150 < sum(first) < 250


def test_it_records_data_and_library_versions(trained: TrainedModel) -> None:
    toxicity = trained.data_reference["files"]["toxicity"]
    assert toxicity["path"] == "jigsaw/train.csv"
    assert len(toxicity["sha256"]) == 64
    assert trained.data_reference["limit"] == TRAINING_ROWS
    assert trained.data_reference["split"] == SPLIT_RULE
    assert set(trained.library_versions) >= {"python", "scikit-learn", "skops", "numpy"}


def expected_calibration_error(reliability: list[dict[str, float]]) -> float:
    rows = sum(row["count"] for row in reliability)
    return (
        sum(row["count"] * abs(row["mean_score"] - row["positive_rate"]) for row in reliability)
        / rows
    )


def test_its_toxicity_probabilities_are_calibrated(
    trained: TrainedModel, training_data_dir: Path
) -> None:
    figures = trained.metrics["toxicity"]
    assert expected_calibration_error(figures["reliability"]) < 0.05
    validation = trained.validation["toxicity"]
    mean_score = float(validation.scores[validation.own].mean())
    assert mean_score == pytest.approx(float(validation.targets[validation.own].mean()), abs=0.03)

    # The same slice without the Platt step scores worse: the calibration earns its place.
    plain = replace(JIGSAW, recipe=replace(JIGSAW.recipe, calibration_folds=0))
    examples = read_examples(plain, data_dir=training_data_dir, limit=TRAINING_ROWS)
    _, uncalibrated, _ = fit_label(examples)
    assert figures["brier"] < uncalibrated["brier"]


def test_it_records_the_supplement_it_trained_on(trained: TrainedModel) -> None:
    toxicity = trained.data_reference["files"]["toxicity"]
    assert toxicity["supplement"] == "news_register/news_register.csv"
    assert toxicity["supplement_rows"] == 719
    assert JIGSAW.supplement is not None
    assert toxicity["supplement_weight"] == JIGSAW.supplement.weight
    assert len(toxicity["supplement_sha256"]) == 64
    assert "supplement" not in trained.data_reference["files"]["spam"]


def test_the_news_register_lowers_the_score_of_news_that_uses_violent_words(
    training_data_dir: Path,
) -> None:
    # Sentences of the news register's kinds that neither it nor the challenge set holds.
    news = [
        "Three people were killed when the gunman opened fire in Leeds.",
        "The new levy would kill off half the corner shops in town.",
        "Storms wiped out the coastal road again this winter.",
    ]
    with_it = read_examples(JIGSAW, data_dir=training_data_dir, limit=TRAINING_ROWS)
    without = replace(with_it, supplement_texts=[])
    plain = replace(JIGSAW.recipe, calibration_folds=0)
    scores = {}
    for name, examples in (("with", with_it), ("without", without)):
        examples = replace(examples, source=replace(JIGSAW, recipe=plain))
        pipeline, _, _ = fit_label(examples)
        scores[name] = positive_probabilities(pipeline, np.array(news, dtype=object))

    assert (scores["with"] < scores["without"]).all()
