from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import HashingVectorizer

from comments.classifier.pipeline import CharWbCounter, tallied_counts, word_memo_counter

TEXTS = [
    "You are a stupid idiot!!  Go away.",
    "Check out my channel http://youtube.com/xyz and SUBSCRIBE subscribe subscribe",
    "İstanbul  ÇOK güzel!\n\n  tabs\there,   and    spaces... idiot",
    "aaaa aaaa a",
    "",
    "   ",
    "x" * 40,
]


@pytest.mark.parametrize("ngram_range", [(2, 5), (1, 6), (3, 3)])
@pytest.mark.parametrize("strip_accents", [None, "unicode"])
def test_it_counts_exactly_what_scikit_learn_counts(
    ngram_range: tuple[int, int], strip_accents: str | None
) -> None:
    vectorizer = HashingVectorizer(
        analyzer="char_wb",
        ngram_range=ngram_range,
        strip_accents=strip_accents,
        n_features=2**18,
        alternate_sign=False,
        norm=None,
    )
    counter = CharWbCounter(vectorizer)

    expected = vectorizer.transform(TEXTS).toarray()
    assert np.array_equal(counter.transform(TEXTS).toarray(), expected)
    # Again, from remembered words, and in another order.
    assert np.array_equal(counter.transform(TEXTS[::-1]).toarray(), expected[::-1])


def test_it_starts_afresh_when_it_has_remembered_too_many_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    vectorizer = HashingVectorizer(analyzer="char_wb", alternate_sign=False, norm=None)
    counter = CharWbCounter(vectorizer)
    monkeypatch.setattr(CharWbCounter, "MAX_WORDS", 5)

    first = counter.transform(["one two three four"])
    second = counter.transform(["five six seven"])

    assert np.array_equal(second.toarray(), vectorizer.transform(["five six seven"]).toarray())
    assert np.array_equal(first.toarray(), vectorizer.transform(["one two three four"]).toarray())
    assert len(counter._known) <= 5


def test_only_plain_char_wb_counts_take_the_remembering_path() -> None:
    plain = HashingVectorizer(analyzer="char_wb", alternate_sign=False, norm=None)
    assert word_memo_counter("plain", plain) is not None
    for other in (
        HashingVectorizer(analyzer="word", alternate_sign=False, norm=None),
        HashingVectorizer(analyzer="char_wb", alternate_sign=False),  # l2-normalized
        HashingVectorizer(analyzer="char_wb", norm=None),  # alternating signs
        HashingVectorizer(analyzer="char_wb", alternate_sign=False, norm=None, binary=True),
    ):
        assert word_memo_counter(repr(other), other) is None


@pytest.mark.parametrize(
    "vectorizer",
    [
        HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), alternate_sign=False, norm=None),
        HashingVectorizer(ngram_range=(1, 2), alternate_sign=False, norm=None),
        HashingVectorizer(analyzer="char", ngram_range=(1, 3), norm=None),  # signed
        HashingVectorizer(ngram_range=(1, 2)),  # normalised: scikit-learn's own path
    ],
    ids=["char_wb", "words", "char-signed", "l2"],
)
def test_tallied_counts_are_exactly_scikit_learns(vectorizer: HashingVectorizer) -> None:
    texts = np.array([*TEXTS, "İ" * 500, "spam " * 300], dtype=object)
    expected = vectorizer.transform(texts).toarray()
    assert np.array_equal(tallied_counts(vectorizer, texts).toarray(), expected)
