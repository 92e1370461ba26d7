"""Train one pipeline per label on the labelled datasets and validate it on the held-out split."""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy
import sklearn
import skops
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline

from comments.classifier.data import SOURCES, SPLIT_RULE, Examples, read_examples
from comments.classifier.pipeline import build_pipeline, positive_probabilities


@dataclass
class TrainedModel:
    """A freshly trained model with everything its ClassifierModel row records."""

    pipelines: dict[str, Pipeline]
    metrics: dict[str, dict[str, Any]]
    data_reference: dict[str, Any]
    library_versions: dict[str, str]
    training_seconds: float

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.pipelines)


def train(
    *,
    data_dir: Path,
    limit: int | None = None,
    progress: Callable[[str], None] = lambda line: None,
) -> TrainedModel:
    """Train one pipeline per label and validate it on the held-out split.

    Reads every dataset before fitting anything, so a bad file fails in seconds, not after a fit.
    No database access: the caller stores the result.
    """
    started = time.perf_counter()
    progress(f"Reading training data from {data_dir}" + (f" (first {limit} rows)" if limit else ""))
    all_examples = []
    for source in SOURCES:
        examples = read_examples(source, data_dir=data_dir, limit=limit)
        borrowed = int((~examples.own).sum())
        progress(
            f"  {source.label}: {source.path}, {int(examples.own.sum()):,} rows "
            f"({int(examples.targets.sum()):,} positive)"
            + (
                f" + {borrowed:,} negatives from {source.negatives_from.path}"
                if source.negatives_from is not None
                else ""
            )
            + f": {examples.n_train:,} train, {examples.n_validation:,} validation"
        )
        all_examples.append(examples)

    pipelines: dict[str, Pipeline] = {}
    metrics: dict[str, dict[str, Any]] = {}
    for examples in all_examples:
        label = examples.source.label
        progress(f"Fitting {label} on {examples.n_train:,} rows")
        fit_started = time.perf_counter()
        pipelines[label], metrics[label] = fit_label(examples)
        progress(
            f"  fitted in {time.perf_counter() - fit_started:.1f} s; validation ROC-AUC "
            f"{metrics[label]['roc_auc']:.4f} on {metrics[label]['n_validation']:,} rows"
        )
        borrowed_from = examples.source.negatives_from
        if borrowed_from is not None:
            progress(
                f"  with {borrowed_from.path} negatives too: ROC-AUC "
                f"{metrics[label]['roc_auc_with_borrowed_negatives']:.4f}; 90% of that "
                f"discussion scores below {metrics[label]['borrowed_negatives_p90_score']:.2f}"
            )

    return TrainedModel(
        pipelines=pipelines,
        metrics=metrics,
        data_reference=data_reference(all_examples, data_dir=data_dir, limit=limit),
        library_versions=library_versions(),
        training_seconds=time.perf_counter() - started,
    )


def fit_label(examples: Examples) -> tuple[Pipeline, dict[str, Any]]:
    """Fit one label's pipeline on the training split; return it with its validation metrics."""
    texts = np.array(examples.texts, dtype=object)
    train_mask, validation_mask = ~examples.validation, examples.validation
    pipeline = build_pipeline()
    pipeline.fit(texts[train_mask], examples.targets[train_mask])
    scores = positive_probabilities(pipeline, texts[validation_mask])
    targets = examples.targets[validation_mask]
    own = examples.own[validation_mask]
    # The headline figure is on the label's own dataset, comparable with published results.
    metrics: dict[str, Any] = {
        "roc_auc": float(roc_auc_score(targets[own], scores[own])),
        "n_train": examples.n_train,
        "n_validation": int(own.sum()),
    }
    if not own.all():
        metrics["roc_auc_with_borrowed_negatives"] = float(roc_auc_score(targets, scores))
        metrics["n_validation_borrowed"] = int((~own).sum())
        metrics["borrowed_negatives_p90_score"] = float(np.quantile(scores[~own], 0.9))
    return pipeline, metrics


def data_reference(
    all_examples: list[Examples], *, data_dir: Path, limit: int | None
) -> dict[str, Any]:
    """Describe the data a model was trained on, enough to tell whether it changed since."""
    return {
        "data_dir": str(data_dir),
        "limit": limit,
        "split": SPLIT_RULE,
        "files": {
            examples.source.label: {
                "path": examples.source.path,
                "sha256": examples.file_sha256,
                "rows": int(examples.own.sum()),
                "positives": int(examples.targets.sum()),
                **(
                    {
                        "negatives_from": examples.source.negatives_from.path,
                        "negatives_sha256": examples.borrowed_sha256,
                        "negatives_rows": int((~examples.own).sum()),
                    }
                    if examples.source.negatives_from is not None
                    else {}
                ),
            }
            for examples in all_examples
        },
    }


def library_versions() -> dict[str, str]:
    """Return the versions an artifact was made with; skops loads are only safe within them."""
    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "skops": skops.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
    }
