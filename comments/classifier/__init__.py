"""The comment classifier: build, train, evaluate, explain, serialize, load and score.

Each label has its own linear model over hashed word and character n-grams, trained on its own
dataset. A trained model is a dict {label: Pipeline} stored as skops bytes in
`ClassifierModel.artifact`; workers load the active version lazily and cache it.

Modules: `data` (datasets and the validation split), `pipeline` (the model for one label),
`training`, `artifact` (skops with trusted types), `runtime` (the cached active model).
"""

from __future__ import annotations

from comments.classifier.artifact import (
    TRUSTED_TYPES,
    ArtifactError,
    UntrustedArtifact,
    artifact_types,
    deserialize,
    serialize,
)
from comments.classifier.data import (
    LABELS,
    SOURCE_BY_LABEL,
    SOURCES,
    SPLIT_RULE,
    Examples,
    LabelledRows,
    LabelSource,
    TrainingDataError,
    is_validation,
    read_examples,
    read_labelled_csv,
)
from comments.classifier.pipeline import Recipe, fit_pipeline, positive_probabilities
from comments.classifier.runtime import (
    ActiveModel,
    clear_model_cache,
    get_active_model,
    model_from_record,
)
from comments.classifier.training import TrainedModel, fit_label, library_versions, train

__all__ = [
    "LABELS",
    "SOURCES",
    "SOURCE_BY_LABEL",
    "SPLIT_RULE",
    "TRUSTED_TYPES",
    "ActiveModel",
    "ArtifactError",
    "Examples",
    "LabelSource",
    "LabelledRows",
    "Recipe",
    "TrainedModel",
    "TrainingDataError",
    "UntrustedArtifact",
    "artifact_types",
    "clear_model_cache",
    "deserialize",
    "fit_label",
    "fit_pipeline",
    "get_active_model",
    "is_validation",
    "library_versions",
    "model_from_record",
    "positive_probabilities",
    "read_examples",
    "read_labelled_csv",
    "serialize",
    "train",
]
