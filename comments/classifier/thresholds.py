"""Thresholds derived from an operator's targets on validation data, and the workload they imply.

An operator does not pick 0.3 or 0.95; they say how much harm they accept: "of what is published
automatically, at most 1% would have been rejected" and "reject automatically only at 99%
precision". Training turns those targets into each label's publish and reject thresholds on the
validation split (weighted to the label's real base rate), stores them with the model version,
and reports what share of comments each outcome would take: the moderators' workload.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

# A reject threshold no probability reaches: the label never rejects on its own.
NEVER = 1.0


@dataclass(frozen=True)
class Targets:
    """One label's targets: the harm allowed in what is published and rejected automatically."""

    # At most this share of automatically published comments would have been rejected.
    max_harm_published: float
    # Automatically rejected comments are positives at least this often.
    min_reject_precision: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.max_harm_published < 1.0:
            raise ValueError(f"max_harm_published must be in [0, 1): {self.max_harm_published}")
        if not 0.0 < self.min_reject_precision <= 1.0:
            raise ValueError(f"min_reject_precision must be in (0, 1]: {self.min_reject_precision}")

    @classmethod
    def from_setting(cls, raw: Mapping[str, float]) -> Targets:
        return cls(
            max_harm_published=float(raw["max_harm_published"]),
            min_reject_precision=float(raw["min_reject_precision"]),
        )


@dataclass(frozen=True)
class DerivedThresholds:
    """A label's thresholds and what they achieve on the validation data they came from."""

    publish: float
    reject: float
    harm_published: float  # share of published comments that are positives
    reject_precision: float | None  # None when nothing reaches the reject threshold

    def as_setting(self) -> dict[str, float]:
        return {"publish": self.publish, "reject": self.reject}


def derive_thresholds(
    targets: npt.ArrayLike,
    scores: npt.ArrayLike,
    goal: Targets,
    *,
    weights: npt.ArrayLike | None = None,
) -> DerivedThresholds:
    """Return the highest publish and the lowest reject threshold that meet `goal`.

    A comment is published when its score is below `publish`, rejected at or above `reject`.
    """
    y = np.asarray(targets, dtype=np.float64)
    s = np.asarray(scores, dtype=np.float64)
    w = np.ones_like(s) if weights is None else np.asarray(weights, dtype=np.float64)
    order = np.argsort(s, kind="stable")
    s, y, w = s[order], y[order], w[order]
    # Candidate thresholds are the distinct scores: "publish below s[i]" publishes s[:i].
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    weight_below = np.r_[0.0, np.cumsum(w)][starts]
    harm_below = np.r_[0.0, np.cumsum(w * y)][starts]
    total_weight, total_harm = w.sum(), (w * y).sum()

    with np.errstate(invalid="ignore", divide="ignore"):
        harm_share = np.where(weight_below > 0, harm_below / weight_below, 0.0)
        precision_above = (total_harm - harm_below) / (total_weight - weight_below)

    # Publishing everything is also a candidate, when the whole set is harmless enough.
    if total_harm <= goal.max_harm_published * total_weight:
        publish, harm_published = NEVER, float(total_harm / total_weight)
    else:
        meets = np.flatnonzero(harm_share <= goal.max_harm_published)
        best = meets[-1]  # index 0 (publish nothing) always meets any goal
        publish, harm_published = float(s[starts[best]]), float(harm_share[best])

    reaching = np.flatnonzero(precision_above >= goal.min_reject_precision)
    if reaching.size:
        first = reaching[0]
        reject, reject_precision = float(s[starts[first]]), float(precision_above[first])
    else:
        reject, reject_precision = NEVER, None

    return DerivedThresholds(
        publish=min(publish, reject),
        reject=reject,
        harm_published=harm_published,
        reject_precision=reject_precision,
    )


@dataclass(frozen=True)
class Workload:
    """Expected shares of comments published, held and rejected automatically."""

    published: float
    held: float
    rejected: float
    n: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "published": self.published,
            "held": self.held,
            "rejected": self.rejected,
            "n": self.n,
        }


def workload(
    scores: Mapping[str, npt.ArrayLike],
    thresholds: Mapping[str, Mapping[str, float]],
    *,
    weights: npt.ArrayLike | None = None,
) -> Workload:
    """Apply the policy's rule to every comment: any label at reject rejects; all below publish
    publishes; anything else is held. Shares are weighted (to a real base rate) if asked."""
    arrays = {label: np.asarray(values, dtype=np.float64) for label, values in scores.items()}
    n = len(next(iter(arrays.values())))
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    rejected = np.zeros(n, dtype=bool)
    publishable = np.ones(n, dtype=bool)
    for label, values in arrays.items():
        rejected |= values >= thresholds[label]["reject"]
        publishable &= values < thresholds[label]["publish"]
    published = publishable & ~rejected
    total = w.sum()
    return Workload(
        published=float(w[published].sum() / total),
        held=float(w[~published & ~rejected].sum() / total),
        rejected=float(w[rejected].sum() / total),
        n=n,
    )
