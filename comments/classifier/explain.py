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
from sklearn.feature_extraction import FeatureHasher
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.pipeline import Pipeline

from comments.classifier.normalise import normalise_for_model, normalise_with_origins
from comments.classifier.pipeline import SharedHashing, feature_parts, vectorizer_key
from comments.classifier.stop_words import is_stop_word

TOP_SPANS = 5
# The explainer walks the n-grams that start in the first EXPLAIN_MAX_CHARS characters only: its
# cost grows with every n-gram it walks (a 5,000-character comment cost over ten times a typical
# one), while scoring, which is vectorised, reads the whole text. The words it walks keep their
# exact weights (each occurrence's share divides by its feature's count in the whole text); the
# words past the cut are not highlighted, though the score and the decision count them.
EXPLAIN_MAX_CHARS = 800
# Pushes smaller than this (in logit units) are noise, not a reason worth highlighting. What a
# moderator sees is cut again, at the EXPLANATION_MIN_WEIGHT setting (comments/explanations.py).
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
    to: computed once per text and shared by every label using the same vectorizer. Only the
    n-grams that start before `until` (EXPLAIN_MAX_CHARS by default) are walked."""

    def __init__(self, text: str, *, until: int | None = None) -> None:
        self.text = text
        if until is None:
            # The budget is in characters as the vectorizers see them: a character that
            # lowercases to two ("İ") makes twice the n-grams, so the cut comes sooner.
            head = text[:EXPLAIN_MAX_CHARS]
            grown = len(head.lower())
            until = EXPLAIN_MAX_CHARS * len(head) // max(grown, 1)
        self.until = min(len(text), until)
        self._found: dict[str, tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]] = {}
        self._processed: dict[str, tuple[str, list[int]]] = {}

    def _preprocessed(self, vectorizer: HashingVectorizer) -> tuple[str, list[int]]:
        # The word and character vectorizers preprocess alike (lowercase): do it once.
        key = repr((vectorizer.lowercase, vectorizer.strip_accents, vectorizer.preprocessor))
        if key not in self._processed:
            self._processed[key] = _preprocess(vectorizer, self.text)
        return self._processed[key]

    def of(
        self, vectorizer: HashingVectorizer
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """The walked n-grams' [start, end) positions (an n x 2 array) and their columns."""
        key = vectorizer_key(vectorizer)
        if key not in self._found:
            grams = list(
                ngram_occurrences(
                    vectorizer,
                    self.text,
                    until=self.until,
                    preprocessed=self._preprocessed(vectorizer),
                )
            )
            # Hash each distinct n-gram once: a text repeats most of its character n-grams.
            distinct: dict[str, int] = {}
            which = [distinct.setdefault(gram, len(distinct)) for gram, _, _ in grams]
            columns = (
                hashed_indices(vectorizer, list(distinct))[np.asarray(which, dtype=np.int64)]
                if grams
                else np.zeros(0, dtype=np.int64)
            )
            positions = np.array([(start, end) for _, start, end in grams], dtype=np.int64)
            self._found[key] = (positions.reshape(-1, 2), columns)
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
    row = hashing.features(pipeline).sorted_indices()
    coefficients = linear_coefficients(pipeline[-1])
    shares = row.data * coefficients[row.indices]

    # Each occurrence's push on the logit, spread evenly over its characters, accumulated as a
    # difference array: numpy work per n-gram, no Python loop.
    diff = np.zeros(len(text) + 1, dtype=np.float64)
    offset = 0
    for vectorizer, _ in feature_parts(pipeline):
        positions, columns = occurrences.of(vectorizer)
        # How often each column occurs in the whole text, walked or not.
        counts = hashing.counts(vectorizer)[0].sorted_indices()
        occurs = counts.data[np.searchsorted(counts.indices, columns)]
        share = _lookup(row.indices, shares, columns + offset)
        offset += vectorizer.n_features
        starts, ends = positions[:, 0], positions[:, 1]
        keep = (share != 0) & (ends > starts)
        per_char = share[keep] / occurs[keep] / (ends[keep] - starts[keep])
        np.add.at(diff, starts[keep], per_char)
        np.add.at(diff, ends[keep], -per_char)
    # weight of [start, end) = prefix[end] - prefix[start], prefix being char weights summed.
    prefix = np.concatenate(([0.0], np.cumsum(np.cumsum(diff)[:-1])))

    spans = []
    for match in _WORD.finditer(text):
        if match.end() > occurrences.until:
            break  # this word's n-grams were not all walked
        if is_stop_word(match.group()):
            continue  # "are", "nothing": never a reason, whatever its weight
        spans.append(
            Span(match.start(), match.end(), float(prefix[match.end()] - prefix[match.start()]))
        )
    pushing_up = sorted(
        (span for span in spans if span.weight >= MIN_PUSH), key=lambda s: -s.weight
    )
    return pushing_up[:top]


def _lookup(
    indices: npt.NDArray[np.int32], values: npt.NDArray[np.float64], wanted: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]:
    """values[i] where indices[i] == each wanted column (sorted `indices`), 0 where absent."""
    if not len(indices):
        return np.zeros(len(wanted), dtype=np.float64)
    at = np.minimum(np.searchsorted(indices, wanted), len(indices) - 1)
    found: npt.NDArray[np.float64] = np.where(indices[at] == wanted, values[at], 0.0)
    return found


def linear_coefficients(estimator: Any) -> npt.NDArray[np.float64]:
    """The weight of each feature on the positive class's logit."""
    coefficients: npt.NDArray[np.float64] = np.asarray(estimator.coef_, dtype=np.float64)[0]
    return coefficients


def hashed_indices(vectorizer: HashingVectorizer, ngrams: list[str]) -> npt.NDArray[np.int64]:
    """The column each n-gram hashes to, exactly as `vectorizer` hashes it (through the same
    FeatureHasher it uses, one n-gram per row, skipping its analyzer)."""
    hasher = FeatureHasher(
        n_features=vectorizer.n_features, input_type="string", alternate_sign=False
    )
    matrix = hasher.transform([ngram] for ngram in ngrams).tocsr()
    indices: npt.NDArray[np.int64] = matrix.indices.astype(np.int64)
    return indices


def ngram_occurrences(
    vectorizer: HashingVectorizer,
    text: str,
    *,
    until: int | None = None,
    preprocessed: tuple[str, list[int]] | None = None,
) -> Iterator[tuple[str, int, int]]:
    """Every n-gram `vectorizer` sees in `text`, with its [start, end) in the original text;
    with `until`, only those that start before that position."""
    processed, origin = preprocessed or _preprocess(vectorizer, text)
    low, high = vectorizer.ngram_range
    until = len(text) if until is None else until
    if vectorizer.analyzer == "word":
        pattern = re.compile(vectorizer.token_pattern)
        tokens: list[tuple[str, int, int]] = []
        for m in pattern.finditer(processed):
            tokens.append((m.group(), m.start(), m.end()))
            # Enough tokens past the cut to finish every n-gram that starts before it.
            if len(tokens) >= high and origin[tokens[-high][1]] >= until:
                break
        for n in range(low, high + 1):
            for i in range(len(tokens) - n + 1):
                gram = tokens[i : i + n]
                if origin[gram[0][1]] >= until:
                    break
                yield (
                    " ".join(token for token, _, _ in gram),
                    origin[gram[0][1]],
                    origin[gram[-1][2] - 1] + 1,
                )
    elif vectorizer.analyzer == "char_wb":
        for word in re.finditer(r"\S+", processed):
            at, final = word.start(), len(word.group()) - 1
            if origin[at] >= until:
                break
            padded = f" {word.group()} "
            for n in range(low, high + 1):
                for offset in range(max(len(padded) - n + 1, 1)):
                    # Padding (index 0 and the last) is not in the text: clip to the word; a
                    # unigram of padding alone stands for the word's edge character.
                    first = min(max(offset - 1, 0), final)
                    if origin[at + first] >= until:
                        break
                    last = max(min(offset + n - 2, final), first)
                    yield padded[offset : offset + n], origin[at + first], origin[at + last] + 1
                if len(padded) <= n:
                    break  # a short word makes one n-gram, the whole padded word, as sklearn
    elif vectorizer.analyzer == "char":
        collapsed, where = _collapse_whitespace(processed)
        for n in range(low, high + 1):
            for i in range(len(collapsed) - n + 1):
                if origin[where[i]] >= until:
                    break
                yield (
                    collapsed[i : i + n],
                    origin[where[i]],
                    origin[where[i + n - 1]] + 1,
                )
    else:
        raise TypeError(f"cannot explain analyzer {vectorizer.analyzer!r}")


def _preprocess(vectorizer: HashingVectorizer, text: str) -> tuple[str, list[int]]:
    """Apply the vectorizer's preprocessing; say where each resulting character came from.

    A plain list, not an array: the walk reads it one position at a time, and indexing a list
    is several times cheaper than indexing numpy.
    """
    if vectorizer.preprocessor is normalise_for_model:
        # The normalised view joins, drops and substitutes characters: it says where each of
        # its characters came from.
        return normalise_with_origins(text)
    preprocess = vectorizer.build_preprocessor()
    processed = preprocess(text)
    if len(processed) == len(text):
        return processed, list(range(len(text)))
    # Some characters change length when lowercased ("İ" becomes two): map them one by one,
    # each distinct character once.
    seen: dict[str, str] = {}
    pieces = [
        seen[char] if char in seen else seen.setdefault(char, preprocess(char)) for char in text
    ]
    origin = [where for where, piece in enumerate(pieces) for _ in piece]
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
