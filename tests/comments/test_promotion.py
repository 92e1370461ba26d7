from __future__ import annotations

from pathlib import Path

import pytest

from comments import classifier
from comments.classifier.promotion import compare

WEAK_ROWS = 300


@pytest.fixture(scope="module")
def weak(training_data_dir: Path) -> classifier.TrainedModel:
    # Trained on a tenth of the rows the session's model saw: measurably worse.
    return classifier.train(data_dir=training_data_dir, limit=WEAK_ROWS)


def as_active(trained: classifier.TrainedModel, version: int = 7) -> classifier.ActiveModel:
    return classifier.ActiveModel(record_id=version, version=version, pipelines=trained.pipelines)


def test_it_refuses_a_candidate_worse_than_the_active_model(
    trained: classifier.TrainedModel, weak: classifier.TrainedModel
) -> None:
    verdict = compare(weak, as_active(trained))

    assert not verdict.promote
    assert verdict.note.startswith("Kept v7: the candidate is worse")
    toxicity = verdict.figures["toxicity"]["the validation split"]
    assert toxicity["candidate"] < toxicity["active"]


def test_it_promotes_a_candidate_that_is_better(
    trained: classifier.TrainedModel, weak: classifier.TrainedModel
) -> None:
    verdict = compare(trained, as_active(weak))

    assert verdict.promote
    assert "toxicity on the validation split: ROC-AUC" in verdict.note


def test_it_promotes_an_equal_candidate_within_the_tolerance(
    trained: classifier.TrainedModel,
) -> None:
    assert compare(trained, as_active(trained), tolerance=0.0).promote


def test_it_promotes_when_no_model_is_active(weak: classifier.TrainedModel) -> None:
    assert compare(weak, None).promote


def test_it_refuses_a_candidate_that_lacks_a_label(trained: classifier.TrainedModel) -> None:
    toxicity_only = classifier.TrainedModel(
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


def test_a_label_the_active_model_lacks_is_new_not_worse(trained: classifier.TrainedModel) -> None:
    active = classifier.ActiveModel(
        record_id=1, version=1, pipelines={"toxicity": trained.pipelines["toxicity"]}
    )

    verdict = compare(trained, active)

    assert verdict.promote
    assert "spam is a new label." in verdict.reasons
