"""Quality figures for one label's scores against known targets.

The Jigsaw sample over-represents toxic comments (about 26% against about 10% in the full
Kaggle set), which flatters precision. Figures that depend on the base rate (average precision,
precision at 80% recall) are computed with the negatives re-weighted so that positives make up
`base_rate` of the weight; ROC-AUC and the Brier score do not need it and use the rows as they are.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    precision_recall_curve,
    roc_auc_score,
)

RELIABILITY_BINS = 10
RECALL_TARGET = 0.8


class MetricsError(ValueError):
    """The rows cannot be evaluated: too few, or a single class."""


@dataclass(frozen=True)
class ReliabilityBin:
    """Comments whose score fell in [lower, upper): how many, their mean score, how many were."""

    lower: float
    upper: float
    count: int
    mean_score: float
    positive_rate: float


@dataclass(frozen=True)
class Evaluation:
    roc_auc: float
    average_precision: float
    precision_at_recall_80: float
    brier: float
    n: int
    positives: int
    base_rate: float | None
    reliability: tuple[ReliabilityBin, ...]

    def headline(self) -> dict[str, float | int]:
        """The five figures `evaluate_classifier --json` prints."""
        return {
            "roc_auc": self.roc_auc,
            "average_precision": self.average_precision,
            "precision_at_recall_80": self.precision_at_recall_80,
            "brier": self.brier,
            "n": self.n,
        }

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["reliability"] = [asdict(row) for row in self.reliability]
        return data


def base_rate_weights(targets: npt.NDArray[Any], base_rate: float | None) -> npt.NDArray[Any]:
    """Weights that make positives `base_rate` of the total (all ones when it is None)."""
    weights = np.ones(len(targets), dtype=np.float64)
    if base_rate is None:
        return weights
    positives = int(targets.sum())
    negatives = len(targets) - positives
    weights[targets == 0] = (1 - base_rate) / base_rate * positives / negatives
    return weights


def evaluate(
    targets: npt.ArrayLike, scores: npt.ArrayLike, *, base_rate: float | None = None
) -> Evaluation:
    """Compute ROC-AUC, AP and precision at 80% recall (at `base_rate`), Brier, reliability."""
    y = np.asarray(targets, dtype=np.int8)
    p = np.asarray(scores, dtype=np.float64)
    if len(y) != len(p):
        raise MetricsError(f"{len(y)} targets but {len(p)} scores")
    classes = set(np.unique(y).tolist())
    if classes != {0, 1}:
        raise MetricsError(
            f"need both positive and negative rows to evaluate; got {len(y)} row(s) "
            f"with class(es) {sorted(classes) or 'none'}"
        )
    weights = base_rate_weights(y, base_rate)
    precision, recall, _ = precision_recall_curve(y, p, sample_weight=weights)
    return Evaluation(
        roc_auc=float(roc_auc_score(y, p)),
        average_precision=float(average_precision_score(y, p, sample_weight=weights)),
        precision_at_recall_80=float(precision[recall >= RECALL_TARGET].max()),
        brier=float(brier_score_loss(y, p)),
        n=len(y),
        positives=int(y.sum()),
        base_rate=base_rate,
        reliability=reliability(y, p),
    )


def reliability(
    targets: npt.NDArray[Any], scores: npt.NDArray[Any], *, bins: int = RELIABILITY_BINS
) -> tuple[ReliabilityBin, ...]:
    """The reliability curve: per score bin, the mean score beside the observed positive rate."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    # Scores of exactly 1.0 belong to the last bin, not to one of their own.
    which = np.minimum(np.digitize(scores, edges[1:-1], right=False), bins - 1)
    rows = []
    for index in range(bins):
        in_bin = which == index
        count = int(in_bin.sum())
        if count == 0:
            continue
        rows.append(
            ReliabilityBin(
                lower=float(edges[index]),
                upper=float(edges[index + 1]),
                count=count,
                mean_score=float(scores[in_bin].mean()),
                positive_rate=float(targets[in_bin].mean()),
            )
        )
    return tuple(rows)
