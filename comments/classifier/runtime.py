"""The model a process scores with: loaded from the active ClassifierModel row and cached."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Mapping
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline

from comments.classifier.artifact import ArtifactError, deserialize
from comments.classifier.explain import Occurrences, explain
from comments.classifier.pipeline import SharedHashing
from comments.models import ClassifierModel

logger = logging.getLogger(__name__)


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
        """Return {label: probability} for one text."""
        return {label: scores[0] for label, scores in self.score_many([text]).items()}

    def explain(self, text: str) -> dict[str, list[dict[str, Any]]]:
        """Return {label: [{"start", "end", "weight"}, ...]}: the spans that pushed it up most."""
        hashing = SharedHashing(np.array([text], dtype=object))
        occurrences = Occurrences(text)
        return {
            label: [
                span.as_dict()
                for span in explain(pipeline, text, hashing=hashing, occurrences=occurrences)
            ]
            for label, pipeline in self._pipelines.items()
        }

    def score_many(self, texts: list[str]) -> dict[str, list[float]]:
        """Return {label: [probability per text]}, as plain floats (JSON-ready)."""
        if not texts:
            return {label: [] for label in self.labels}
        hashing = SharedHashing(np.array(texts, dtype=object))
        return {
            label: hashing.probabilities(pipeline).tolist()
            for label, pipeline in self._pipelines.items()
        }


def model_from_record(record: ClassifierModel) -> ActiveModel:
    """Check and load a fetched ClassifierModel row; raise ArtifactError on any mismatch."""
    data = bytes(record.artifact)  # PostgreSQL hands back a memoryview
    if hashlib.sha256(data).hexdigest() != record.artifact_sha256:
        raise ArtifactError(f"classifier v{record.version}: artifact does not match its sha256")
    pipelines = deserialize(data)
    if list(pipelines) != list(record.labels):
        raise ArtifactError(
            f"classifier v{record.version}: artifact labels {list(pipelines)} "
            f"differ from the recorded {record.labels}"
        )
    return ActiveModel(
        record_id=record.pk,
        version=record.version,
        pipelines=pipelines,
        thresholds=record.thresholds,
    )


ModelKey = tuple[int, str]  # (ClassifierModel pk, artifact sha256)


class _ModelCache:
    """The one model a process scores with, swapped when another version becomes active."""

    def __init__(self) -> None:
        # Celery may run threads; the lock makes one thread load while the others wait for it
        # rather than each loading the same artifact.
        self._lock = threading.Lock()
        self.loaded: ActiveModel | None = None
        # A version is known by its pk and its artifact's digest together: a database may hand
        # a deleted row's pk to a new one (SQLite does), and a worker must not mistake the two.
        self.loaded_key: ModelKey | None = None
        # The active version whose artifact failed to load. Artifacts are immutable, so retrying
        # it on every comment would only repeat the failure (and the log line); a new activation
        # is tried afresh.
        self.failed_key: ModelKey | None = None

    def get(self, key: ModelKey) -> ActiveModel | None:
        record_id = key[0]
        with self._lock:
            if key in (self.loaded_key, self.failed_key):
                return self.loaded
            # Fetching the row is outside the try: a database error is transient and must not
            # mark this version as failed; let it fail the task, which will be retried.
            record = ClassifierModel.objects.filter(pk=record_id).first()
            if record is None:
                return self.loaded
            try:
                model = model_from_record(record)
            except Exception:
                self.failed_key = key
                logger.exception(
                    "could not load classifier v%s (id %s); still serving %s",
                    record.version,
                    record_id,
                    f"v{self.loaded.version}" if self.loaded is not None else "no model",
                )
                return self.loaded
            self.loaded, self.loaded_key, self.failed_key = model, key, None
            logger.info("loaded classifier v%s (id %s)", model.version, model.record_id)
            return model

    def clear(self) -> None:
        with self._lock:
            self.loaded, self.loaded_key, self.failed_key = None, None, None


_cache = _ModelCache()


def get_active_model() -> ActiveModel | None:
    """Return the active model version, loaded once per process; None when none is active.

    One cheap query per call (never the artifact's bytes) notices a newly activated version
    without a worker restart. If its artifact fails to load, the error is logged once and the
    previously loaded model keeps serving.
    """
    active = ClassifierModel.objects.active().values_list("pk", "artifact_sha256").first()
    if active is None:
        return None
    return _cache.get(active)


def clear_model_cache() -> None:
    """Forget the loaded model and any failed load, so the next call loads afresh (tests)."""
    _cache.clear()
