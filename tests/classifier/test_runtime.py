"""A loaded model scores and explains texts, the same whether fresh from training or loaded."""

from __future__ import annotations

import numpy as np
import pytest

from comments.classifier.artifact import deserialize
from comments.classifier.labels import LABELS
from comments.classifier.pipeline import SharedHashing
from comments.classifier.runtime import ActiveModel
from comments.classifier.training import TrainedModel

HOSTILE = "you are a stupid idiot"
NEUTRAL = "thanks for the thoughtful article"
SPAMMY = "check out my channel and please subscribe"


def make_model(trained: TrainedModel) -> ActiveModel:
    return ActiveModel(record_id=0, version=0, pipelines=trained.pipelines)


def test_it_scores_floats_in_the_unit_interval_per_label(
    trained: TrainedModel,
) -> None:
    scores = make_model(trained).score(NEUTRAL)

    assert set(scores) == set(LABELS)
    assert all(type(score) is float and 0.0 <= score <= 1.0 for score in scores.values())


def test_it_scores_hostile_text_as_more_toxic_than_neutral_text(
    trained: TrainedModel,
) -> None:
    model = make_model(trained)

    assert model.score(HOSTILE)["toxicity"] > model.score(NEUTRAL)["toxicity"]
    assert model.score(SPAMMY)["spam"] > model.score(NEUTRAL)["spam"]


def test_it_scores_many_texts_as_it_scores_one(trained: TrainedModel) -> None:
    model = make_model(trained)

    many = model.score_many([HOSTILE, NEUTRAL])

    # One text is scored with numpy alone (SharedHashing.probability): equal to rounding.
    assert many == {
        label: [
            pytest.approx(model.score(HOSTILE)[label], rel=1e-12),
            pytest.approx(model.score(NEUTRAL)[label], rel=1e-12),
        ]
        for label in LABELS
    }
    assert model.score_many([]) == {label: [] for label in LABELS}


def test_it_scores_and_explains_at_once_as_it_does_apart(trained: TrainedModel) -> None:
    model = make_model(trained)

    scores, spans = model.score_and_explain(HOSTILE)
    only_toxicity = model.score_and_explain(HOSTILE, ("toxicity",))

    assert scores == pytest.approx(model.score(HOSTILE), rel=1e-12)
    assert spans == model.explain(HOSTILE)
    assert only_toxicity == ({"toxicity": scores["toxicity"]}, {"toxicity": spans["toxicity"]})


def test_it_round_trips_through_skops_with_identical_scores(
    trained: TrainedModel, artifact: bytes
) -> None:
    loaded = ActiveModel(record_id=0, version=0, pipelines=deserialize(artifact))

    texts = [HOSTILE, NEUTRAL, SPAMMY]
    assert loaded.labels == LABELS
    assert loaded.score_many(texts) == make_model(trained).score_many(texts)


@pytest.mark.parametrize(
    "text",
    [
        HOSTILE,
        NEUTRAL,
        SPAMMY,
        "",  # no n-gram at all: the intercept alone
        "  \n\t ",
        "YOU ARE A 5TUP1D 1D10T!!! www.example.com",
        "İstanbul, naïve café, 東京, emoji 🙂 " * 20,
        "word " * 1000,
    ],
)
def test_one_text_is_scored_as_scikit_learn_scores_it(trained: TrainedModel, text: str) -> None:
    # The nudge's fast path (numpy alone) against the pipeline's own predict_proba.
    for pipeline in trained.pipelines.values():
        expected = pipeline.predict_proba(np.array([text], dtype=object))[:, 1][0]
        fast = SharedHashing(np.array([text], dtype=object)).probability(pipeline)
        assert type(fast) is float
        assert fast == pytest.approx(expected, rel=1e-12, abs=1e-15)
