"""A loaded model scores and explains texts, the same whether fresh from training or loaded."""

from __future__ import annotations

from comments.classifier.artifact import deserialize
from comments.classifier.labels import LABELS
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

    assert many == {
        label: [model.score(HOSTILE)[label], model.score(NEUTRAL)[label]] for label in LABELS
    }
    assert model.score_many([]) == {label: [] for label in LABELS}


def test_it_scores_and_explains_at_once_as_it_does_apart(trained: TrainedModel) -> None:
    model = make_model(trained)

    scores, spans = model.score_and_explain(HOSTILE)
    only_toxicity = model.score_and_explain(HOSTILE, ("toxicity",))

    assert scores == model.score(HOSTILE)
    assert spans == model.explain(HOSTILE)
    assert only_toxicity == ({"toxicity": scores["toxicity"]}, {"toxicity": spans["toxicity"]})


def test_it_round_trips_through_skops_with_identical_scores(
    trained: TrainedModel, artifact: bytes
) -> None:
    loaded = ActiveModel(record_id=0, version=0, pipelines=deserialize(artifact))

    texts = [HOSTILE, NEUTRAL, SPAMMY]
    assert loaded.labels == LABELS
    assert loaded.score_many(texts) == make_model(trained).score_many(texts)
