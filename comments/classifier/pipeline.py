"""The model for one label: hashed word and character n-grams, TF-IDF, logistic regression."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

# Hashed features keep the artifact small and fast to save: a fitted TfidfVectorizer's vocabulary
# makes skops slow. 2**18 word + 2**18 char buckets per label: about 17 MB uncompressed for two
# labels (the dense float64 coef and idf arrays dominate), under 5 MB deflated.
WORD_FEATURES = 2**18
CHAR_FEATURES = 2**18
REGULARIZATION_C = 4.0


def build_pipeline() -> Pipeline:
    """Return an unfitted pipeline: hashed word 1-2-grams and char 2-5-grams, TF-IDF, logistic."""

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

    features = FeatureUnion(
        [
            ("words", hashed_tfidf(ngram_range=(1, 2), n_features=WORD_FEATURES)),
            (
                "chars",
                hashed_tfidf(analyzer="char_wb", ngram_range=(2, 5), n_features=CHAR_FEATURES),
            ),
        ]
    )
    return Pipeline(
        [
            ("features", features),
            ("model", LogisticRegression(C=REGULARIZATION_C, solver="liblinear")),
        ]
    )


def positive_probabilities(pipeline: Pipeline, texts: npt.NDArray[Any]) -> npt.NDArray[Any]:
    positive = list(pipeline.classes_).index(1)
    probabilities: npt.NDArray[Any] = pipeline.predict_proba(texts)[:, positive]
    return probabilities
