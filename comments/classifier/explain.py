"""Explain a linear model's score: which spans of the comment pushed it up most.

For a linear model the score's logit is a sum over features of coefficient x feature value, so
each feature's share is exact, not estimated. A hashed feature is an n-gram (a word pair, a run
of characters) that occurs at known places in the text: its share is spread evenly over its
occurrences and their characters. Summing per word then gives each word's push on the score,
which the moderation queue highlights. Only the hashing is redone here (in scikit-learn's own
Cython, one n-gram per row); the TF-IDF weighting comes from the fitted pipeline itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.pipeline import Pipeline

from comments.classifier.pipeline import SharedHashing, feature_parts

TOP_SPANS = 5
# Pushes smaller than this (in logit units) are noise, not a reason worth highlighting.
MIN_PUSH = 0.2
# A word is a run of non-space characters without the punctuation around it, so "f*ck" and a
# link each stay one span while "idiot!" highlights "idiot".
_PUNCTUATION = "\\s.,;:!?\"'()\\[\\]{}<>\u00ab\u00bb\u201c\u201d\u2018\u2019"
_WORD = re.compile(f"[^{_PUNCTUATION}]+(?:['\u2019][^{_PUNCTUATION}]+)*")
_WHITE_SPACES = re.compile(r"\s\s+")


@dataclass(frozen=True)
class Span:
    """Characters [start, end) of the original text and their push on the logit."""

    start: int
    end: int
    weight: float

    def as_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "weight": round(self.weight, 4)}


class Occurrences:
    """Each vectorizer's n-grams in one text, with where they occur and the column they hash
    to: computed once per text and shared by every label using the same vectorizer."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._found: dict[str, tuple[list[tuple[int, int]], npt.NDArray[np.int64]]] = {}

    def of(
        self, vectorizer: HashingVectorizer
    ) -> tuple[list[tuple[int, int]], npt.NDArray[np.int64]]:
        key = repr(sorted(vectorizer.get_params().items()))
        if key not in self._found:
            grams = list(ngram_occurrences(vectorizer, self.text))
            columns = (
                hashed_indices(vectorizer, [gram for gram, _, _ in grams])
                if grams
                else np.zeros(0, dtype=np.int64)
            )
            self._found[key] = ([(start, end) for _, start, end in grams], columns)
        return self._found[key]


def explain(
    pipeline: Pipeline,
    text: str,
    *,
    top: int = TOP_SPANS,
    hashing: SharedHashing | None = None,
    occurrences: Occurrences | None = None,
) -> list[Span]:
    """Return up to `top` words of `text` that pushed the score up most, strongest first."""
    if not text.strip():
        return []
    hashing = hashing or SharedHashing(np.array([text], dtype=object))
    occurrences = occurrences or Occurrences(text)
    row = hashing.features(pipeline)
    coefficients = linear_coefficients(pipeline[-1])
    share = dict(
        zip(row.indices.tolist(), (row.data * coefficients[row.indices]).tolist(), strict=True)
    )

    char_weight = np.zeros(len(text), dtype=np.float64)
    offset = 0
    for vectorizer, _ in feature_parts(pipeline):
        positions, columns = occurrences.of(vectorizer)
        indices = (columns + offset).tolist()
        offset += vectorizer.n_features
        counts: dict[int, int] = {}
        for index in indices:
            counts[index] = counts.get(index, 0) + 1
        for index, (start, end) in zip(indices, positions, strict=True):
            push = share.get(index, 0.0) / counts[index]
            if push and end > start:
                char_weight[start:end] += push / (end - start)

    spans = [
        Span(match.start(), match.end(), float(char_weight[match.start() : match.end()].sum()))
        for match in _WORD.finditer(text)
    ]
    pushing_up = sorted(
        (span for span in spans if span.weight >= MIN_PUSH), key=lambda s: -s.weight
    )
    return pushing_up[:top]


def linear_coefficients(estimator: Any) -> npt.NDArray[np.float64]:
    """The weight of each feature on the positive class's logit."""
    coefficients: npt.NDArray[np.float64] = np.asarray(estimator.coef_, dtype=np.float64)[0]
    return coefficients


def hashed_indices(vectorizer: HashingVectorizer, ngrams: list[str]) -> npt.NDArray[np.int64]:
    """The column each n-gram hashes to, exactly as `vectorizer` hashes it."""
    one_per_row = HashingVectorizer(
        n_features=vectorizer.n_features,
        alternate_sign=False,
        norm=None,
        analyzer=_as_one_feature,
    )
    matrix = one_per_row.transform(ngrams).tocsr()
    indices: npt.NDArray[np.int64] = matrix.indices.astype(np.int64)
    return indices


def _as_one_feature(ngram: str) -> list[str]:
    return [ngram]


def ngram_occurrences(vectorizer: HashingVectorizer, text: str) -> Iterator[tuple[str, int, int]]:
    """Every n-gram `vectorizer` sees in `text`, with its [start, end) in the original text."""
    processed, origin = _preprocess(vectorizer, text)
    low, high = vectorizer.ngram_range
    if vectorizer.analyzer == "word":
        pattern = re.compile(vectorizer.token_pattern)
        tokens = [(m.group(), m.start(), m.end()) for m in pattern.finditer(processed)]
        for n in range(low, high + 1):
            for i in range(len(tokens) - n + 1):
                gram = tokens[i : i + n]
                yield (
                    " ".join(token for token, _, _ in gram),
                    int(origin[gram[0][1]]),
                    int(origin[gram[-1][2] - 1]) + 1,
                )
    elif vectorizer.analyzer == "char_wb":
        for word in re.finditer(r"\S+", processed):
            padded = f" {word.group()} "
            for n in range(low, high + 1):
                for offset in range(max(len(padded) - n + 1, 1)):
                    # Padding (index 0 and the last) is not in the text: clip to the word; a
                    # unigram of padding alone stands for the word's edge character.
                    first = min(max(offset - 1, 0), len(word.group()) - 1)
                    last = max(min(offset + n - 2, len(word.group()) - 1), first)
                    yield (
                        padded[offset : offset + n],
                        int(origin[word.start() + first]),
                        int(origin[word.start() + last]) + 1,
                    )
                if len(padded) <= n:
                    break  # a short word makes one n-gram, the whole padded word, as sklearn
    elif vectorizer.analyzer == "char":
        collapsed, where = _collapse_whitespace(processed)
        for n in range(low, high + 1):
            for i in range(len(collapsed) - n + 1):
                yield (
                    collapsed[i : i + n],
                    int(origin[where[i]]),
                    int(origin[where[i + n - 1]]) + 1,
                )
    else:
        raise TypeError(f"cannot explain analyzer {vectorizer.analyzer!r}")


def _preprocess(vectorizer: HashingVectorizer, text: str) -> tuple[str, npt.NDArray[np.int64]]:
    """Apply the vectorizer's preprocessing; say where each resulting character came from."""
    preprocess = vectorizer.build_preprocessor()
    processed = preprocess(text)
    if len(processed) == len(text):
        return processed, np.arange(len(text), dtype=np.int64)
    # Some characters change length when lowercased ("İ" becomes two): map them one by one.
    pieces = [preprocess(char) for char in text]
    origin = np.repeat(np.arange(len(text), dtype=np.int64), [len(piece) for piece in pieces])
    return "".join(pieces), origin


def _collapse_whitespace(text: str) -> tuple[str, list[int]]:
    """Collapse runs of whitespace to one space as scikit-learn does, keeping positions."""
    kept: list[int] = []
    position = 0
    for match in _WHITE_SPACES.finditer(text):
        kept.extend(range(position, match.start() + 1))
        position = match.end()
    kept.extend(range(position, len(text)))
    return _WHITE_SPACES.sub(" ", text), kept
