"""The model for one label: hashed word and character n-grams, TF-IDF, NB-SVM logistic regression.

NB-SVM (Wang and Manning, 2012) scales each feature by its naive-Bayes log-count ratio r before
a logistic regression; on Jigsaw it is the strongest linear model we measured. Because the
scaling is per feature and comes after TF-IDF, logit = b + sum_j w_j * (r_j * x_j) =
b + sum_j (w_j * r_j) * x_j: r folds into the coefficients. A Platt calibration (sigmoid of
a * logit + c) folds in the same way. So the stored model is a plain Pipeline of scikit-learn
types (hashing, TF-IDF, LogisticRegression), small, fast to load, loadable with an explicit
trusted-type list, and exactly explainable per n-gram.
"""

from __future__ import annotations

import weakref
from collections import Counter
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.special import expit
from sklearn.feature_extraction import FeatureHasher
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import FeatureUnion, Pipeline

from comments.classifier.normalise import normalise_for_model

# Hashed features keep the artifact small and fast to save: a fitted TfidfVectorizer's vocabulary
# makes skops slow. 2**18 word + 2**18 char buckets per label: about 17 MB uncompressed for two
# labels (the dense float64 coef and idf arrays dominate), under 7 MB deflated.
WORD_FEATURES = 2**18
CHAR_FEATURES = 2**18
# The normalised view's words (see `normalise`): fewer distinct n-grams than the raw words.
NORMALISED_FEATURES = 2**17


@dataclass(frozen=True)
class Recipe:
    """How one label's model is fitted; chosen per label by measurement (see the README)."""

    regularization_c: float = 4.0
    naive_bayes_scaling: bool = True
    nb_alpha: float = 1.0
    class_weight: str | None = None
    # Platt scaling fitted on out-of-fold logits: calibrated probabilities at k extra fits.
    calibration_folds: int = 0
    # A third view: word 1-2-grams of the normalised text (disguises undone), beside the raw.
    normalised_view: bool = False
    # Harmless copies of non-toxic training texts naming an identity term, the term swapped for
    # those over-represented in toxic texts (see `fairness.counterfactuals`).
    counterfactual_identities: bool = False


def build_features(*, normalised_view: bool = False) -> FeatureUnion:
    """Hashed word 1-2-grams and char_wb 2-5-grams, each TF-IDF weighted (sublinear, l2); with
    `normalised_view`, word 1-2-grams of the normalised text too."""

    def hashed_tfidf(**hashing: Any) -> Pipeline:
        # norm=None and no alternate signs so TfidfTransformer sees plain counts; it applies the
        # sublinear tf, the IDF weights and the l2 norm.
        return Pipeline(
            [
                (
                    "hash",
                    HashingVectorizer(
                        lowercase=True, alternate_sign=False, norm=None, dtype=np.float64, **hashing
                    ),
                ),
                ("tfidf", TfidfTransformer(sublinear_tf=True)),
            ]
        )

    views = [
        ("words", hashed_tfidf(ngram_range=(1, 2), n_features=WORD_FEATURES)),
        (
            "chars",
            hashed_tfidf(analyzer="char_wb", ngram_range=(2, 5), n_features=CHAR_FEATURES),
        ),
    ]
    if normalised_view:
        views.append(
            (
                "normalised",
                hashed_tfidf(
                    ngram_range=(1, 2),
                    n_features=NORMALISED_FEATURES,
                    preprocessor=normalise_for_model,
                ),
            )
        )
    return FeatureUnion(views)


class Steps(Protocol):
    """Whatever reports a fit's progress (see `progress.StepProgress`)."""

    def step(self, doing: str) -> AbstractContextManager[None]: ...


class _Quiet:
    def step(self, doing: str) -> AbstractContextManager[None]:
        return nullcontext()


def fit_steps(recipe: Recipe) -> int:
    """How many steps `fit_pipeline` reports for `recipe`."""
    return 2 + recipe.calibration_folds


def fit_pipeline(
    texts: npt.NDArray[Any],
    targets: npt.NDArray[Any],
    *,
    recipe: Recipe,
    sample_weight: npt.NDArray[Any] | None = None,
    calibrate_on: npt.NDArray[np.bool_] | None = None,
    steps: Steps | None = None,
) -> Pipeline:
    """Fit features and model on `texts`, folding NB scaling and calibration into the model.

    `calibrate_on` marks the rows the Platt step is fitted on (all by default): rows written
    for training, all of one class, would otherwise pull every probability towards that class.
    """
    steps = steps or _Quiet()
    features = build_features(normalised_view=recipe.normalised_view)
    with steps.step(f"hashing {len(texts):,} texts into n-gram features"):
        matrix = features.fit_transform(texts).tocsr()
    with steps.step("fitting the model"):
        ratios = _feature_scaling(matrix, targets, recipe=recipe)
        model = _fit_model(
            matrix.multiply(ratios).tocsr(), targets, recipe=recipe, sample_weight=sample_weight
        )
    if recipe.calibration_folds:
        slope, offset = _platt_on_folds(
            matrix,
            targets,
            recipe=recipe,
            sample_weight=sample_weight,
            calibrate_on=calibrate_on,
            steps=steps,
        )
        model.coef_ = model.coef_ * slope
        model.intercept_ = model.intercept_ * slope + offset
    model.coef_ = model.coef_ * ratios
    return Pipeline([("features", features), ("model", model)])


def log_count_ratios(
    matrix: sp.csr_matrix, targets: npt.NDArray[Any], *, alpha: float
) -> npt.NDArray[np.float64]:
    """NB log-count ratio per feature, from which documents (not how often) it occurs in."""
    present = (matrix > 0).astype(np.float64)
    positive = alpha + np.asarray(present[targets == 1].sum(axis=0)).ravel()
    negative = alpha + np.asarray(present[targets == 0].sum(axis=0)).ravel()
    ratios: npt.NDArray[np.float64] = np.log(
        (positive / positive.sum()) / (negative / negative.sum())
    )
    return ratios


def _feature_scaling(
    matrix: sp.csr_matrix, targets: npt.NDArray[Any], *, recipe: Recipe
) -> npt.NDArray[np.float64]:
    if not recipe.naive_bayes_scaling:
        return np.ones(matrix.shape[1])
    return log_count_ratios(matrix, targets, alpha=recipe.nb_alpha)


def _fit_model(
    matrix: sp.csr_matrix,
    targets: npt.NDArray[Any],
    *,
    recipe: Recipe,
    sample_weight: npt.NDArray[Any] | None,
) -> LogisticRegression:
    model = LogisticRegression(
        C=recipe.regularization_c, solver="liblinear", class_weight=recipe.class_weight
    )
    model.fit(matrix, targets, sample_weight=sample_weight)
    return model


def _platt_on_folds(
    matrix: sp.csr_matrix,
    targets: npt.NDArray[Any],
    *,
    recipe: Recipe,
    sample_weight: npt.NDArray[Any] | None,
    calibrate_on: npt.NDArray[np.bool_] | None,
    steps: Steps,
) -> tuple[float, float]:
    """Fit p = sigmoid(slope * logit + offset) on out-of-fold logits of the same recipe.

    Each fold computes its own NB ratios, so no held-out row informs the logit it is given.
    """
    logits = np.zeros(matrix.shape[0])
    folds = StratifiedKFold(n_splits=recipe.calibration_folds, shuffle=False)
    for fold, (train, held) in enumerate(folds.split(matrix, targets), start=1):
        with steps.step(f"calibrating, fold {fold} of {recipe.calibration_folds}"):
            part = matrix[train]
            ratios = _feature_scaling(part, targets[train], recipe=recipe)
            weights = sample_weight[train] if sample_weight is not None else None
            fold_model = _fit_model(
                part.multiply(ratios).tocsr(), targets[train], recipe=recipe, sample_weight=weights
            )
            logits[held] = fold_model.decision_function(matrix[held].multiply(ratios).tocsr())
    mask = np.ones(len(targets), dtype=bool) if calibrate_on is None else calibrate_on
    platt = LogisticRegression(C=1e6, solver="lbfgs")
    platt.fit(
        logits[mask].reshape(-1, 1),
        targets[mask],
        sample_weight=sample_weight[mask] if sample_weight is not None else None,
    )
    return float(platt.coef_[0, 0]), float(platt.intercept_[0])


def positive_probabilities(pipeline: Pipeline, texts: npt.NDArray[Any]) -> npt.NDArray[Any]:
    positive = list(pipeline.classes_).index(1)
    probabilities: npt.NDArray[Any] = pipeline.predict_proba(texts)[:, positive]
    return probabilities


class SharedHashing:
    """Hash a batch once per distinct vectorizer, for every label's pipeline to reuse.

    Hashing (Python-level n-gram generation) is most of the cost of scoring, and every label
    hashes the same n-grams the same way; only the TF-IDF weights and coefficients differ.
    """

    def __init__(self, texts: npt.NDArray[Any]) -> None:
        self.texts = texts
        self._counts: dict[str, sp.csr_matrix] = {}
        self._features: dict[int, sp.csr_matrix] = {}

    def counts(self, vectorizer: HashingVectorizer) -> sp.csr_matrix:
        key = vectorizer_key(vectorizer)
        if key not in self._counts:
            # Below a few texts scikit-learn's own loop is quicker than the sparse product.
            counter = word_memo_counter(key, vectorizer) if len(self.texts) >= 16 else None
            self._counts[key] = (
                counter.transform(self.texts)
                if counter is not None
                else tallied_counts(vectorizer, self.texts)
            )
        return self._counts[key]

    def features(self, pipeline: Pipeline) -> sp.csr_matrix:
        """What `pipeline[:-1].transform(texts)` returns, from the shared counts; computed once
        per pipeline (scoring and explaining a label both need it)."""
        if id(pipeline) not in self._features:
            blocks = [
                tfidf.transform(self.counts(vectorizer))
                for vectorizer, tfidf in feature_parts(pipeline)
            ]
            self._features[id(pipeline)] = sp.hstack(blocks).tocsr()
        return self._features[id(pipeline)]

    def row(self, i: int) -> SharedHashing:
        """Text `i` alone, read from this batch's counts and features without hashing again:
        explaining one comment of a scored batch reuses the batch's features exactly."""
        return _Row(self, i)

    def probabilities(self, pipeline: Pipeline) -> npt.NDArray[Any]:
        model = pipeline[-1]
        positive = list(model.classes_).index(1)
        probabilities: npt.NDArray[Any] = model.predict_proba(self.features(pipeline))[:, positive]
        return probabilities

    def probability(self, pipeline: Pipeline) -> float:
        """`probabilities(pipeline)[0]`, for a batch of one text, computed from the hashed
        counts with numpy alone.

        For one short text the arithmetic is a few dozen multiplications; what costs is
        scikit-learn's input validation around each TF-IDF transform, the stacking and the
        prediction (about 2 ms of the nudge's budget per post, measured by
        scripts/bench_live.py). The same formula as those steps (sublinear tf, IDF, l2 norm
        per view, then the logistic function of the dot product), so the same probability to
        rounding; tests/comments/test_classifier_runtime.py compares the two. A pipeline of any
        other shape goes the general way.
        """
        model = pipeline[-1]
        parts = feature_parts(pipeline)
        general = (
            len(self.texts) != 1
            or pipeline.named_steps["features"].transformer_weights is not None
            or not isinstance(model, LogisticRegression)
            or model.coef_.shape[0] != 1
            or any(tfidf.norm not in ("l2", None) for _, tfidf in parts)
        )
        if general:
            return float(self.probabilities(pipeline)[0])
        coef = model.coef_[0]
        logit = float(model.intercept_[0])
        offset = 0
        for vectorizer, tfidf in parts:
            counts = self.counts(vectorizer)
            columns, values = counts.indices, np.array(counts.data, dtype=np.float64)
            if tfidf.sublinear_tf:
                values = np.log(values) + 1.0
            if hasattr(tfidf, "idf_"):
                values *= tfidf.idf_[columns]
            if tfidf.norm == "l2":
                length = np.sqrt(np.dot(values, values))
                if length > 0:
                    values /= length
            logit += float(np.dot(values, coef[offset + columns]))
            offset += vectorizer.n_features
        # predict_proba of a binary LogisticRegression: expit(logit) is classes_[1]'s.
        of_second = float(expit(logit))
        return of_second if list(model.classes_).index(1) == 1 else 1.0 - of_second


class _Row(SharedHashing):
    """One text of a hashed batch (`SharedHashing.row`)."""

    def __init__(self, batch: SharedHashing, i: int) -> None:
        super().__init__(batch.texts[i : i + 1])
        self._batch, self._i = batch, i

    def counts(self, vectorizer: HashingVectorizer) -> sp.csr_matrix:
        return self._batch.counts(vectorizer)[self._i : self._i + 1]

    def features(self, pipeline: Pipeline) -> sp.csr_matrix:
        return self._batch.features(pipeline)[self._i : self._i + 1]


_KEYS: weakref.WeakKeyDictionary[HashingVectorizer, str] = weakref.WeakKeyDictionary()


def vectorizer_key(vectorizer: HashingVectorizer) -> str:
    """What tells two vectorizers apart (their parameters): labels whose pipelines hash alike
    share one hashing. Remembered per vectorizer object, as scikit-learn's `get_params` costs
    more than hashing a short comment and a loaded model never changes its parameters."""
    key = _KEYS.get(vectorizer)
    if key is None:
        key = _KEYS[vectorizer] = repr(sorted(vectorizer.get_params().items()))
    return key


def tallied_counts(vectorizer: HashingVectorizer, texts: npt.NDArray[Any]) -> sp.csr_matrix:
    """Exactly `vectorizer.transform(texts)` for a counting vectorizer, hashing each distinct
    n-gram of a text once: Counter tallies them in C first. A long comment repeats most of its
    character n-grams (5,000 characters of one letter are 20,000 n-grams but 8 distinct ones),
    which halves the cost of the longest comments."""
    if vectorizer.norm is not None or vectorizer.binary:
        return vectorizer.transform(texts).tocsr()
    analyzer = vectorizer.build_analyzer()
    hasher = FeatureHasher(
        n_features=vectorizer.n_features,
        input_type="dict",
        alternate_sign=vectorizer.alternate_sign,
        dtype=vectorizer.dtype,
    )
    return hasher.transform(Counter(analyzer(text)) for text in texts).tocsr()


def feature_parts(pipeline: Pipeline) -> list[tuple[HashingVectorizer, TfidfTransformer]]:
    """The (hashing, TF-IDF) pairs of a stored pipeline's features, in column order."""
    union = pipeline.named_steps["features"]
    parts = []
    for _, part in union.transformer_list:
        vectorizer, tfidf = part.named_steps["hash"], part.named_steps["tfidf"]
        parts.append((vectorizer, tfidf))
    return parts


class CharWbCounter:
    """Exactly `HashingVectorizer(analyzer="char_wb").transform`, computed once per distinct word.

    char_wb n-grams never cross a word, so a text's counts are the sum of its words' counts:
    texts x words (how often each word occurs) times words x features (each word's n-gram
    counts), a sparse product done in C. Each distinct word is hashed once per batch, and
    remembered for later batches: comments repeat one another's words, while scikit-learn
    regenerates and rehashes every n-gram of every word every time.
    """

    MAX_WORDS = 200_000  # remembered words per process (tens of MB); then start afresh

    def __init__(self, vectorizer: HashingVectorizer) -> None:
        self.vectorizer = vectorizer
        self._preprocess = vectorizer.build_preprocessor()
        low, high = vectorizer.ngram_range
        # Hashes one word per row: this analyzer is only used here, never stored.
        self._per_word = HashingVectorizer(
            n_features=vectorizer.n_features,
            alternate_sign=False,
            norm=None,
            dtype=np.float64,
            analyzer=partial(_padded_word_ngrams, low=low, high=high),
        )
        self._known: dict[str, tuple[npt.NDArray[np.int32], npt.NDArray[np.float64]]] = {}

    def transform(self, texts: npt.NDArray[Any] | list[str]) -> sp.csr_matrix:
        # scikit-learn collapses whitespace runs and then splits on whitespace: split() alone.
        vocabulary: dict[str, int] = {}
        word_ids: list[int] = []
        text_ends = [0]
        for text in texts:
            word_ids.extend(
                vocabulary.setdefault(w, len(vocabulary)) for w in self._preprocess(text).split()
            )
            text_ends.append(len(word_ids))
        words = list(vocabulary)
        unseen = [word for word in words if word not in self._known]
        if len(self._known) + len(unseen) > self.MAX_WORDS:
            self._known.clear()
            unseen = words
        if unseen:
            self._learn(unseen)

        occurrences = sp.csr_matrix(
            (np.ones(len(word_ids)), np.array(word_ids, dtype=np.int64), np.array(text_ends)),
            shape=(len(text_ends) - 1, len(words)),
        )
        occurrences.sum_duplicates()
        known = [self._known[word] for word in words]
        word_ngrams = sp.csr_matrix(
            (
                np.concatenate([data for _, data in known]) if known else np.zeros(0),
                np.concatenate([columns for columns, _ in known])
                if known
                else np.zeros(0, np.int32),
                np.cumsum([0, *(len(columns) for columns, _ in known)]),
            ),
            shape=(len(words), self.vectorizer.n_features),
        )
        counts = (occurrences @ word_ngrams).tocsr()
        counts.sort_indices()
        return counts

    def _learn(self, words: list[str]) -> None:
        matrix = self._per_word.transform(words).tocsr()
        for row, word in enumerate(words):
            start, end = matrix.indptr[row], matrix.indptr[row + 1]
            self._known[word] = (matrix.indices[start:end], matrix.data[start:end])


def _padded_word_ngrams(word: str, low: int, high: int) -> list[str]:
    """One word's char_wb n-grams, in scikit-learn's order and number."""
    padded = f" {word} "
    size = len(padded)
    if size <= low:
        return [padded]  # a short word makes one n-gram, the whole padded word
    return [
        padded[offset : offset + n]
        for n in range(low, min(high, size) + 1)
        for offset in range(size - n + 1)
    ]


_counters: dict[str, CharWbCounter] = {}


def word_memo_counter(key: str, vectorizer: HashingVectorizer) -> CharWbCounter | None:
    """The process's remembering counter for a char_wb vectorizer of plain counts, if it is one."""
    plain_counts = (
        vectorizer.analyzer == "char_wb"
        and vectorizer.input == "content"
        and vectorizer.preprocessor is None
        and vectorizer.norm is None
        and not vectorizer.alternate_sign
        and not vectorizer.binary
    )
    if not plain_counts:
        return None
    if key not in _counters:
        _counters[key] = CharWbCounter(vectorizer)
    return _counters[key]


def forget_words() -> None:
    """Drop every remembered word (benchmarks measure a cold start with it)."""
    _counters.clear()
