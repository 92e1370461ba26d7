"""A loaded model version, ready to score and explain texts.

Where its bytes come from (the database, which version is active, the per-process cache) is the
Django side's business: see `comments.model_versions`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline

from comments.classifier.explain import Occurrences, explain
from comments.classifier.pipeline import SharedHashing


class ActiveModel:
    """A loaded, ready-to-score model version."""

    def __init__(
        self,
        *,
        record_id: int,
        version: int,
        pipelines: Mapping[str, Pipeline],
        thresholds: Mapping[str, Mapping[str, float]] | None = None,
    ) -> None:
        self.record_id = record_id
        self.version = version
        self.labels: tuple[str, ...] = tuple(pipelines)
        # {label: {"publish": p, "reject": r}} derived at training; empty for older versions.
        self.thresholds = dict(thresholds or {})
        self._pipelines = dict(pipelines)

    def __repr__(self) -> str:
        return f"<ActiveModel v{self.version} {', '.join(self.labels)}>"

    def score(self, text: str) -> dict[str, float]:
        """Return {label: probability} for one text.

        Hashed once for every label, and without scikit-learn's per-call validation
        (`SharedHashing.probability`): the nudge scores every draft while its reader waits.
        """
        hashing = SharedHashing(np.array([text], dtype=object))
        return {label: hashing.probability(pipeline) for label, pipeline in self._pipelines.items()}

    def explain(self, text: str) -> dict[str, list[dict[str, Any]]]:
        """Return {label: [{"start", "end", "weight"}, ...]}: the spans that pushed it up most."""
        return self._explain(text, SharedHashing(np.array([text], dtype=object)), self.labels)

    def score_and_explain(
        self, text: str, labels: tuple[str, ...] | None = None
    ) -> tuple[dict[str, float], dict[str, list[dict[str, Any]]]]:
        """`score` and `explain` for `labels` (all by default), hashing the text once for both.

        Hashing is most of the cost: a worker scores and explains every comment, and the
        synchronous scoring API answers while its caller waits, computing only the labels asked.
        """
        chosen = self.labels if labels is None else labels
        hashing = SharedHashing(np.array([text], dtype=object))
        scores = {
            label: float(hashing.probabilities(self._pipelines[label])[0]) for label in chosen
        }
        return scores, self._explain(text, hashing, chosen)

    def _explain(
        self, text: str, hashing: SharedHashing, labels: tuple[str, ...]
    ) -> dict[str, list[dict[str, Any]]]:
        occurrences = Occurrences(text)
        return {
            label: [
                span.as_dict()
                for span in explain(
                    self._pipelines[label], text, hashing=hashing, occurrences=occurrences
                )
            ]
            for label in labels
        }

    def score_batch(self, texts: list[str]) -> ScoredBatch:
        """Score every text together (one hashing, one product per label), to explain any of
        them afterwards from the same features: a worker explains only what a person will see."""
        hashing = SharedHashing(np.array(texts, dtype=object))
        by_label = {
            label: hashing.probabilities(pipeline).tolist()
            for label, pipeline in self._pipelines.items()
        }
        scores = [{label: by_label[label][i] for label in self.labels} for i in range(len(texts))]
        return ScoredBatch(self, texts, hashing, scores)

    def score_many(self, texts: list[str]) -> dict[str, list[float]]:
        """Return {label: [probability per text]}, as plain floats (JSON-ready)."""
        if not texts:
            return {label: [] for label in self.labels}
        hashing = SharedHashing(np.array(texts, dtype=object))
        return {
            label: hashing.probabilities(pipeline).tolist()
            for label, pipeline in self._pipelines.items()
        }


class ScoredBatch:
    """Texts scored together: `scores[i]` is text i's {label: probability}, and `explain(i)`
    its spans, exactly as `ActiveModel.explain` finds them, from the batch's own features."""

    def __init__(
        self,
        model: ActiveModel,
        texts: list[str],
        hashing: SharedHashing,
        scores: list[dict[str, float]],
    ) -> None:
        self._model, self._texts, self._hashing = model, texts, hashing
        self.scores = scores

    def explain(self, i: int) -> dict[str, list[dict[str, Any]]]:
        return self._model._explain(self._texts[i], self._hashing.row(i), self._model.labels)
