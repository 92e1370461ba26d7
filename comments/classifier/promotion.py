"""Promote a candidate model only if it is not worse than the active one on the same data.

Both are scored on the candidate's fixed validation split (the same rows every training uses)
and on the held-out recent moderator decisions. Per label and per data set, the candidate's
ROC-AUC may trail the active model's by at most `tolerance` (noise between two fits); a label the
active model lacks is new and cannot be worse; a label the candidate lacks refuses it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score

from comments.classifier.fairness import measure
from comments.classifier.pipeline import positive_probabilities
from comments.classifier.runtime import ActiveModel
from comments.classifier.training import FAIRNESS_LABEL, TrainedModel

DEFAULT_TOLERANCE = 0.002
# How far the candidate's identity-term bias score may trail the active model's.
DEFAULT_FAIRNESS_TOLERANCE = 0.005


@dataclass
class Verdict:
    promote: bool
    reasons: list[str] = field(default_factory=list)
    # {label: {"validation": {"candidate": auc, "active": auc}, "decisions": {...}}}
    figures: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)

    @property
    def note(self) -> str:
        return " ".join(self.reasons)


def compare(
    candidate: TrainedModel,
    active: ActiveModel | None,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    fairness_tolerance: float = DEFAULT_FAIRNESS_TOLERANCE,
) -> Verdict:
    """Decide whether `candidate` may replace `active`, with the figures and reasons why."""
    if active is None:
        return Verdict(True, ["No model was active."])
    missing = [label for label in active.labels if label not in candidate.labels]
    if missing:
        return Verdict(
            False, [f"Kept v{active.version}: the candidate lacks label(s) {', '.join(missing)}."]
        )

    verdict = Verdict(True)
    worse: list[str] = []
    for label in candidate.labels:
        if label not in active.labels:
            verdict.reasons.append(f"{label} is a new label.")
            continue
        for data_set, texts, targets, candidate_scores in _data_sets(candidate, label):
            active_scores = np.asarray(active.score_many(texts)[label])
            theirs = float(roc_auc_score(targets, active_scores))
            ours = float(roc_auc_score(targets, candidate_scores))
            verdict.figures.setdefault(label, {})[data_set] = {"candidate": ours, "active": theirs}
            line = f"{label} on {data_set}: ROC-AUC {ours:.4f} vs v{active.version}'s {theirs:.4f}"
            if ours < theirs - tolerance:
                worse.append(line)
            else:
                verdict.reasons.append(line + ".")
    fairness = _fairness_line(candidate, active, fairness_tolerance, verdict)
    if fairness is not None:
        worse.append(fairness)
    if worse:
        return Verdict(
            False,
            [f"Kept v{active.version}: the candidate is worse:", "; ".join(worse) + "."],
            verdict.figures,
        )
    return verdict


def _data_sets(candidate: TrainedModel, label: str) -> list[tuple[str, list[str], Any, Any]]:
    rows = candidate.validation[label]
    own_texts = [text for text, own in zip(rows.texts, rows.own, strict=True) if own]
    sets: list[tuple[str, list[str], Any, Any]] = [
        ("the validation split", own_texts, rows.targets[rows.own], rows.scores[rows.own])
    ]
    decisions = candidate.decisions.get(label)
    if decisions is not None:
        targets = decisions.targets[decisions.recent]
        if set(np.unique(targets).tolist()) == {0, 1}:
            texts = [
                t for t, recent in zip(decisions.texts, decisions.recent, strict=True) if recent
            ]
            pipeline = candidate.pipelines[label]
            scores = positive_probabilities(pipeline, np.array(texts, dtype=object))
            sets.append((f"{len(texts):,} recent moderator decisions", texts, targets, scores))
    return sets


def _fairness_line(
    candidate: TrainedModel, active: ActiveModel, tolerance: float, verdict: Verdict
) -> str | None:
    """Compare bias scores on the candidate's templated set; the line if the candidate is
    worse by more than `tolerance`, else None (the comparison joins the verdict's reasons)."""
    rows = candidate.fairness_rows
    ours_figures = candidate.metrics.get(FAIRNESS_LABEL, {}).get("fairness")
    if rows is None or ours_figures is None or FAIRNESS_LABEL not in active.labels:
        return None
    theirs = measure(rows, active.score_many(rows.texts)[FAIRNESS_LABEL])["bias_score"]
    ours = float(ours_figures["bias_score"])
    verdict.figures.setdefault(FAIRNESS_LABEL, {})["bias_score"] = {
        "candidate": ours,
        "active": theirs,
    }
    line = f"identity-term bias score {ours:.4f} vs v{active.version}'s {theirs:.4f}"
    if ours < theirs - tolerance:
        return line
    verdict.reasons.append(line + ".")
    return None
