from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import HashingVectorizer

from comments.classifier.explain import (
    EXPLAIN_MAX_CHARS,
    Occurrences,
    explain,
    hashed_indices,
    ngram_occurrences,
)
from comments.classifier.labels import LABELS
from comments.classifier.normalise import normalise_for_model
from comments.classifier.pipeline import feature_parts, positive_probabilities
from comments.classifier.runtime import ActiveModel
from comments.classifier.stop_words import is_stop_word
from comments.classifier.training import TrainedModel

HOSTILE = "Honestly, you are a stupid idiot and everyone knows it."
SPAMMY = "Check out my channel and SUBSCRIBE, free gift cards at my site"
COUNTS = {"n_features": 2**18, "alternate_sign": False, "norm": None}
DISGUISED = "You are an 1D-10T, a d i s g r a c e, and \u0430 l\u0456ar"
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
        HashingVectorizer(ngram_range=(1, 2), preprocessor=normalise_for_model, **COUNTS),
    ],
    ids=["words", "char_wb", "char", "char_wb-accents", "normalised"],
)
@pytest.mark.parametrize("text", [HOSTILE, SPAMMY, TRICKY, DISGUISED, "a", "  "])
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
        for text in (HOSTILE, SPAMMY, TRICKY, DISGUISED):
            for span in explain(pipeline, text):
                assert 0 <= span.start < span.end <= len(text), label
                word = text[span.start : span.end]
                assert word.strip() == word and word
                assert span.weight > 0
                assert not is_stop_word(word), word


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


# 5,000 characters (the longest comment allowed) with the hostile words near the start and the end.
LONG = (
    (HOSTILE + " ") + ("The council met on Tuesday to discuss the budget. " * 100)[:4800] + HOSTILE
)


def test_it_walks_a_bounded_number_of_ngrams_however_long_the_comment(
    trained: TrainedModel,
) -> None:
    pipeline = trained.pipelines["toxicity"]
    for vectorizer, _ in feature_parts(pipeline):
        short = Occurrences(LONG[:EXPLAIN_MAX_CHARS]).of(vectorizer)[1]
        long = Occurrences(LONG).of(vectorizer)[1]
        # The cost of explaining grows with the n-grams walked: no more for 5,000 characters
        # than for EXPLAIN_MAX_CHARS (give or take the n-grams that straddle the cut).
        assert len(long) <= len(short) + 10
        assert len(long) < len(list(ngram_occurrences(vectorizer, LONG))) / 3


def test_it_keeps_the_weights_of_the_words_it_walks_exact(trained: TrainedModel) -> None:
    for label, pipeline in trained.pipelines.items():
        everything = Occurrences(LONG, until=len(LONG))
        exact = {
            (span.start, span.end): span.weight
            for span in explain(pipeline, LONG, top=10**6, occurrences=everything)
        }
        walked = explain(pipeline, LONG, top=10**6)
        assert walked or label != "toxicity"  # "stupid idiot" in the first sentence
        for span in walked:
            assert span.end <= EXPLAIN_MAX_CHARS
            assert span.weight == pytest.approx(exact[(span.start, span.end)], abs=1e-9)
        cut_off = [where for where in exact if where[1] <= EXPLAIN_MAX_CHARS]
        assert sorted(cut_off) == sorted((span.start, span.end) for span in walked)


def test_it_scores_and_explains_in_one_pass_as_it_does_in_two(trained: TrainedModel) -> None:
    model = ActiveModel(record_id=0, version=0, pipelines=trained.pipelines)
    scores, explained = model.score_and_explain(LONG)
    assert scores == pytest.approx(model.score(LONG))
    assert explained == model.explain(LONG)
