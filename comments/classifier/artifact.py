"""Serialize a trained model to skops bytes and load it back, trusting only known types."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from typing import Any

import skops.io as sio
from sklearn.pipeline import Pipeline

# Every type a trained artifact may contain, as "module.Class". Loading refuses anything else,
# including scikit-learn types that skops itself would trust: a model is only ever this shape.
TRUSTED_TYPES: frozenset[str] = frozenset(
    {
        "builtins.dict",
        "builtins.list",
        "builtins.tuple",
        "builtins.str",
        "builtins.int",
        "builtins.float",
        "builtins.bool",
        "builtins.NoneType",
        "numpy.ndarray",
        "numpy.float64",
        "sklearn.pipeline.Pipeline",
        "sklearn.pipeline.FeatureUnion",
        "sklearn.feature_extraction.text.HashingVectorizer",
        "sklearn.feature_extraction.text.TfidfTransformer",
        "sklearn.linear_model._logistic.LogisticRegression",
        # The normalised view's preprocessor: our own pure function, named exactly.
        "comments.classifier.normalise.normalise_for_model",
    }
)


class ArtifactError(Exception):
    """A stored artifact cannot be loaded: corrupt, altered, or not a model of this shape."""


class UntrustedArtifact(ArtifactError):
    """A stored artifact holds types outside TRUSTED_TYPES; it is refused before loading."""

    def __init__(self, types: set[str]) -> None:
        self.types = sorted(types)
        super().__init__(f"artifact holds untrusted type(s): {', '.join(self.types)}")


def serialize(pipelines: Mapping[str, Pipeline]) -> bytes:
    """Return skops bytes for a {label: Pipeline} model."""
    # Deflate: most hash buckets are never seen, and their zero coefficients compress well.
    return sio.dumps(dict(pipelines), compression=zipfile.ZIP_DEFLATED)


def artifact_types(data: bytes) -> set[str]:
    """Return every "module.Class" named in an artifact's schema, without loading anything.

    skops's own audit trusts every scikit-learn estimator; walking the schema lets us hold an
    artifact to TRUSTED_TYPES exactly. Every node of the schema names its type, so a walk over
    all of it cannot miss one (a dict key that happens to look like a type only adds a refusal).
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            schema = json.loads(archive.read("schema.json"))
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise ArtifactError(f"not a skops artifact: {error}") from error

    found: set[str] = set()
    pending: list[Any] = [schema]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            if "__module__" in node and "__class__" in node:
                found.add(f"{node['__module__']}.{node['__class__']}")
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return found


def deserialize(data: bytes) -> dict[str, Pipeline]:
    """Load skops bytes into a {label: Pipeline} model, refusing any type outside TRUSTED_TYPES."""
    untrusted = (artifact_types(data) | set(sio.get_untrusted_types(data=data))) - TRUSTED_TYPES
    if untrusted:
        raise UntrustedArtifact(untrusted)
    pipelines = sio.loads(data, trusted=sorted(TRUSTED_TYPES))
    if not isinstance(pipelines, dict) or not all(
        isinstance(label, str)
        and isinstance(pipeline, Pipeline)
        and list(getattr(pipeline, "classes_", [])) == [0, 1]
        for label, pipeline in pipelines.items()
    ):
        raise ArtifactError("artifact is not a {label: fitted binary Pipeline} dict")
    return pipelines
