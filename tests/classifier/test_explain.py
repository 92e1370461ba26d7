from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import HashingVectorizer

from comments.classifier.explain import explain, hashed_indices, ngram_occurrences
from comments.classifier.labels import LABELS
from comments.classifier.pipeline import positive_probabilities
from comments.classifier.runtime import ActiveModel
from comments.classifier.training import TrainedModel

HOSTILE = "Honestly, you are a stupid idiot and everyone knows it."
SPAMMY = "Check out my channel and SUBSCRIBE, free gift cards at my site"
COUNTS = {"n_features": 2**18, "alternate_sign": False, "norm": None}
TRICKY = "İstanbul  ÇOK güzel!\n\n  tabs\there,   and    spaces... idiot"


def score(pipeline: object, text: str) -> float:
    return float(positive_probabilities(pipeline, np.array([text], dtype=object))[0])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "vectorizer",
    [
        HashingVectorizer(ngram_range=(1, 2), **COUNTS),
        HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), **COUNTS),
        HashingVectorizer(analyzer="char", ngram_range=(1, 4), **COUNTS),
        HashingVectorizer(
            analyzer="char_wb", ngram_range=(1, 6), strip_accents="unicode", **COUNTS
        ),
    ],
    ids=["words", "char_wb", "char", "char_wb-accents"],
)
@pytest.mark.parametrize("text", [HOSTILE, SPAMMY, TRICKY, "a", "  "])
def test_it_finds_exactly_the_features_the_vectorizer_counts(
    vectorizer: HashingVectorizer, text: str
) -> None:
    occurrences = list(ngram_occurrences(vectorizer, text))
    counted = vectorizer.transform([text])

    ours = hashed_indices(vectorizer, [gram for gram, _, _ in occurrences]) if occurrences else []
    assert sorted(set(np.asarray(ours).tolist())) == sorted(counted.indices.tolist())
    assert len(occurrences) == counted.sum()
    for _, start, end in occurrences:
        assert 0 <= start < end <= len(text)


def test_its_spans_lie_inside_the_text_on_whole_words(trained: TrainedModel) -> None:
    for label, pipeline in trained.pipelines.items():
        for text in (HOSTILE, SPAMMY, TRICKY):
            for span in explain(pipeline, text):
                assert 0 <= span.start < span.end <= len(text), label
                word = text[span.start : span.end]
                assert word.strip() == word and word
                assert span.weight > 0


def test_it_points_at_the_words_that_drive_the_toxicity_score(
    trained: TrainedModel,
) -> None:
    pipeline = trained.pipelines["toxicity"]

    spans = explain(pipeline, HOSTILE)

    top_words = {HOSTILE[span.start : span.end].lower() for span in spans[:2]}
    assert top_words & {"stupid", "idiot"}
    assert spans == sorted(spans, key=lambda span: -span.weight)
    # Taking the strongest term out lowers the score: it really drove it.
    strongest = spans[0]
    without = HOSTILE[: strongest.start] + HOSTILE[strongest.end :]
    assert score(pipeline, without) < score(pipeline, HOSTILE)


def test_it_points_at_spam_terms_for_the_spam_label(trained: TrainedModel) -> None:
    spans = explain(trained.pipelines["spam"], SPAMMY)

    words = {SPAMMY[span.start : span.end].lower() for span in spans}
    assert words & {"check", "channel", "subscribe", "free", "site"}


def test_it_explains_nothing_in_an_empty_comment(trained: TrainedModel) -> None:
    assert explain(trained.pipelines["toxicity"], "   ") == []


def test_the_active_model_explains_every_label(trained: TrainedModel) -> None:
    model = ActiveModel(record_id=0, version=0, pipelines=trained.pipelines)

    explained = model.explain(HOSTILE)

    assert set(explained) == set(LABELS)
    assert all(set(span) == {"start", "end", "weight"} for span in explained["toxicity"])
