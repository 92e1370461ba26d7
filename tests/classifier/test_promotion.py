from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from comments.classifier.promotion import compare
from comments.classifier.runtime import ActiveModel
from comments.classifier.training import TrainedModel, train

WEAK_ROWS = 300


@pytest.fixture(scope="module")
def weak(training_data_dir: Path) -> TrainedModel:
    # Trained on a tenth of the rows the session's model saw: measurably worse.
    return train(data_dir=training_data_dir, limit=WEAK_ROWS)


def as_active(trained: TrainedModel, version: int = 7) -> ActiveModel:
    return ActiveModel(record_id=version, version=version, pipelines=trained.pipelines)


def test_it_refuses_a_candidate_worse_than_the_active_model(
    trained: TrainedModel, weak: TrainedModel
) -> None:
    verdict = compare(weak, as_active(trained))

    assert not verdict.promote
    assert verdict.note.startswith("Kept v7: the candidate is worse")
    toxicity = verdict.figures["toxicity"]["the validation split"]
    assert toxicity["candidate"] < toxicity["active"]


def test_it_promotes_a_candidate_that_is_better(trained: TrainedModel, weak: TrainedModel) -> None:
    verdict = compare(trained, as_active(weak))

    assert verdict.promote
    assert "toxicity on the validation split: ROC-AUC" in verdict.note


def test_it_promotes_an_equal_candidate_within_the_tolerance(
    trained: TrainedModel,
) -> None:
    assert compare(trained, as_active(trained), tolerance=0.0).promote


def test_it_promotes_when_no_model_is_active(weak: TrainedModel) -> None:
    assert compare(weak, None).promote


def test_it_refuses_a_candidate_that_lacks_a_label(trained: TrainedModel) -> None:
    toxicity_only = TrainedModel(
        pipelines={"toxicity": trained.pipelines["toxicity"]},
        metrics={},
        data_reference={},
        library_versions={},
        training_seconds=0.0,
        validation={"toxicity": trained.validation["toxicity"]},
    )

    verdict = compare(toxicity_only, as_active(trained))

    assert not verdict.promote
    assert "lacks label(s) spam" in verdict.note


def test_a_label_the_active_model_lacks_is_new_not_worse(trained: TrainedModel) -> None:
    active = ActiveModel(
        record_id=1, version=1, pipelines={"toxicity": trained.pipelines["toxicity"]}
    )

    verdict = compare(trained, active)

    assert verdict.promote
    assert "spam is a new label." in verdict.reasons


def with_bias_score(trained: TrainedModel, shift: float) -> TrainedModel:
    fairness = dict(trained.metrics["toxicity"]["fairness"])
    fairness["bias_score"] += shift
    metrics = {**trained.metrics, "toxicity": {**trained.metrics["toxicity"], "fairness": fairness}}
    return dataclasses.replace(trained, metrics=metrics)


def test_it_refuses_a_candidate_whose_bias_score_is_worse_beyond_the_setting(
    trained: TrainedModel,
) -> None:
    # The same model as the active one, its measured bias score lowered by 0.05: only the
    # fairness gate can refuse it.
    candidate = with_bias_score(trained, -0.05)

    refused = compare(candidate, as_active(trained), fairness_tolerance=0.01)
    assert not refused.promote
    assert "identity-term bias score" in refused.note
    figures = refused.figures["toxicity"]["bias_score"]
    assert figures["candidate"] == pytest.approx(figures["active"] - 0.05)

    assert compare(candidate, as_active(trained), fairness_tolerance=0.06).promote
    assert compare(trained, as_active(trained), fairness_tolerance=0.0).promote
