"""Train one pipeline per label on the labelled datasets and validate it on the held-out split."""

from __future__ import annotations

import platform
import time
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy
import sklearn
import skops
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline

from comments.classifier.data import SOURCES, SPLIT_RULE, Examples, read_examples
from comments.classifier.fairness import (
    BIAS_SCORE_TARGET,
    BPSN_TARGET,
    FAIRNESS_PATH,
    FairnessRows,
    counterfactuals,
    measure,
    read_fairness,
)
from comments.classifier.metrics import base_rate_weights, evaluate
from comments.classifier.pipeline import fit_pipeline, fit_steps, positive_probabilities
from comments.classifier.progress import StepProgress
from comments.classifier.thresholds import Targets, derive_thresholds, workload

# Jigsaw's held-out discussion comments, weighted to their real toxic rate, stand in for a
# newsroom's traffic when estimating the moderators' workload: YouTube's half-spam sample does not.
TRAFFIC_LABEL = "toxicity"
# The label whose identity-term fairness is measured (data/fairness/).
FAIRNESS_LABEL = "toxicity"


@dataclass(frozen=True)
class Decisions:
    """Moderators' decisions as one label's examples: older ones train, recent ones validate."""

    texts: list[str]
    targets: npt.NDArray[np.int8]
    recent: npt.NDArray[np.bool_]

    @property
    def n_train(self) -> int:
        return int((~self.recent).sum())

    @property
    def n_recent(self) -> int:
        return int(self.recent.sum())


@dataclass(frozen=True)
class ValidationSet:
    """One label's fixed validation rows and the candidate's scores on them (not stored)."""

    texts: list[str]
    targets: npt.NDArray[np.int8]
    own: npt.NDArray[np.bool_]  # False for negatives borrowed from another dataset
    scores: npt.NDArray[np.float64]
    base_rate: float | None


@dataclass
class TrainedModel:
    """A freshly trained model with everything its ClassifierModel row records."""

    pipelines: dict[str, Pipeline]
    metrics: dict[str, dict[str, Any]]
    data_reference: dict[str, Any]
    library_versions: dict[str, str]
    training_seconds: float
    thresholds: dict[str, dict[str, float]] = field(default_factory=dict)
    workload: dict[str, Any] = field(default_factory=dict)
    # What promotion compares the active model on; kept in memory only.
    validation: dict[str, ValidationSet] = field(default_factory=dict, repr=False)
    decisions: dict[str, Decisions] = field(default_factory=dict, repr=False)
    fairness_rows: FairnessRows | None = field(default=None, repr=False)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.pipelines)


def train(
    *,
    data_dir: Path,
    limit: int | None = None,
    targets: Mapping[str, Targets] | None = None,
    decisions: Mapping[str, Decisions] | None = None,
    progress: Callable[[str], None] = lambda line: None,
) -> TrainedModel:
    """Train one pipeline per label, validate it on the held-out split, derive its thresholds.

    Reads every dataset before fitting anything, so a bad file fails in seconds, not after a fit.
    `decisions` (moderators' labels) add their older rows to training and are validated on their
    recent ones. No database access: the caller gathers the decisions and stores the result.
    """
    started = time.perf_counter()
    decisions = decisions or {}
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
        if source.supplement is not None:
            progress(
                f"  {source.label}: {len(examples.supplement_texts):,} rows of "
                f"{source.supplement.path} (training only, weight {source.supplement.weight:g})"
                if examples.supplement_texts
                else f"  {source.label}: no {source.supplement.path} here; trained without it"
            )
        if source.label in decisions:
            own_decisions = decisions[source.label]
            progress(
                f"  {source.label}: {len(own_decisions.texts):,} moderator decisions: "
                f"{own_decisions.n_train:,} train, {own_decisions.n_recent:,} most recent validate"
            )
        all_examples.append(examples)

    pipelines: dict[str, Pipeline] = {}
    metrics: dict[str, dict[str, Any]] = {}
    validation: dict[str, ValidationSet] = {}
    for examples in all_examples:
        label = examples.source.label
        progress(f"Fitting {label} on {examples.n_train:,} rows")
        fit_started = time.perf_counter()
        steps = StepProgress(label, total=fit_steps(examples.source.recipe) + 1, report=progress)
        pipelines[label], metrics[label], validation[label] = fit_label(
            examples, decisions=decisions.get(label), steps=steps
        )
        steps.finish()
        figures = metrics[label]
        progress(
            f"  fitted in {time.perf_counter() - fit_started:.1f} s; validation ROC-AUC "
            f"{figures['roc_auc']:.4f}, average precision {figures['average_precision']:.4f}, "
            f"precision at 80% recall {figures['precision_at_recall_80']:.4f}"
            + (f" (at {figures['base_rate']:.0%} positives)" if figures["base_rate"] else "")
            + f", Brier {figures['brier']:.4f} on {figures['n_validation']:,} rows"
        )
        if examples.source.negatives_from is not None:
            progress(
                f"  with {examples.source.negatives_from.path} negatives too: ROC-AUC "
                f"{figures['roc_auc_with_borrowed_negatives']:.4f}; 90% of that "
                f"discussion scores below {figures['borrowed_negatives_p90_score']:.2f}"
            )
        if "decisions" in figures:
            recent = figures["decisions"]
            progress(
                f"  on {recent['n']:,} recent moderator decisions: ROC-AUC {recent['roc_auc']:.4f}"
            )

    fairness_rows = read_fairness(data_dir)
    if fairness_rows is not None and FAIRNESS_LABEL in pipelines:
        texts = np.array(fairness_rows.texts, dtype=object)
        figures = measure(fairness_rows, positive_probabilities(pipelines[FAIRNESS_LABEL], texts))
        metrics[FAIRNESS_LABEL]["fairness"] = figures
        for line in fairness_lines(figures):
            progress(line)

    model = TrainedModel(
        pipelines=pipelines,
        metrics=metrics,
        fairness_rows=fairness_rows,
        data_reference=data_reference(
            all_examples, data_dir=data_dir, limit=limit, decisions=decisions
        ),
        library_versions=library_versions(),
        training_seconds=0.0,
        validation=validation,
        decisions=dict(decisions),
    )
    if targets:
        set_thresholds(model, targets, progress=progress)
    model.training_seconds = time.perf_counter() - started
    return model


def fairness_lines(figures: dict[str, Any]) -> list[str]:
    """The fairness figures in words, as training prints them."""
    under = figures["terms_under_bpsn_target"]
    return [
        f"Identity-term fairness on {figures['n']:,} templated rows ({FAIRNESS_PATH}): bias "
        f"score {figures['bias_score']:.4f} (target >= {BIAS_SCORE_TARGET}), overall AUC "
        f"{figures['overall_auc']:.4f}; power means: subgroup "
        f"{figures['power_means']['subgroup_auc']:.4f}, BPSN "
        f"{figures['power_means']['bpsn_auc']:.4f}, BNSP {figures['power_means']['bnsp_auc']:.4f}",
        f"  lowest BPSN AUC {figures['min_bpsn_auc']:.4f} (target >= {BPSN_TARGET}); "
        + (
            f"{len(under)} term(s) under it: {', '.join(under)}" if under else "every term meets it"
        ),
        "  worst five terms (subgroup / BPSN / BNSP AUC): "
        + "; ".join(
            f"{row['term']} {row['subgroup_auc']:.3f} / {row['bpsn_auc']:.3f} / "
            f"{row['bnsp_auc']:.3f}"
            for row in figures["worst_terms"]
        ),
    ]


def fit_label(
    examples: Examples, *, decisions: Decisions | None = None, steps: StepProgress | None = None
) -> tuple[Pipeline, dict[str, Any], ValidationSet]:
    """Fit one label's pipeline on the training split; return it with its validation figures.

    With `steps`, reports `fit_steps(recipe) + 1` steps: the fit's, then the validation.
    """
    texts = np.array(examples.texts, dtype=object)
    train_mask, validation_mask = ~examples.validation, examples.validation
    source = examples.source
    train_texts, train_targets = texts[train_mask], examples.targets[train_mask]
    weights = np.where(examples.own[train_mask], 1.0, source.negatives_weight)
    if decisions is not None and decisions.n_train:
        older = ~decisions.recent
        train_texts = np.concatenate([train_texts, np.array(decisions.texts, dtype=object)[older]])
        train_targets = np.concatenate([train_targets, decisions.targets[older]])
        weights = np.concatenate([weights, np.ones(int(older.sum()))])
    if source.recipe.counterfactual_identities:
        swapped, _ = counterfactuals(train_texts, train_targets)
        train_texts = np.concatenate([train_texts, np.array(swapped, dtype=object)])
        train_targets = np.concatenate([train_targets, np.zeros(len(swapped), dtype=np.int8)])
        weights = np.concatenate([weights, np.ones(len(swapped))])
    calibrate_on = np.ones(len(train_texts), dtype=bool)
    if source.supplement is not None and examples.supplement_texts:
        added = len(examples.supplement_texts)
        calibrate_on = np.concatenate([calibrate_on, np.zeros(added, dtype=bool)])
        train_texts = np.concatenate(
            [train_texts, np.array(examples.supplement_texts, dtype=object)]
        )
        train_targets = np.concatenate(
            [train_targets, np.full(added, source.supplement.target, dtype=np.int8)]
        )
        weights = np.concatenate([weights, np.full(added, source.supplement.weight)])
    pipeline = fit_pipeline(
        train_texts,
        train_targets,
        recipe=source.recipe,
        sample_weight=weights if (weights != 1.0).any() else None,
        # The supplement is all of one class and no sample of real comments: calibrating on
        # it pulled the small test model's mean score from 0.26 to 0.22 (0.26 toxic).
        calibrate_on=calibrate_on,
        steps=steps,
    )

    with steps.step("scoring the validation split") if steps else nullcontext():
        scores = positive_probabilities(pipeline, texts[validation_mask])
    targets = examples.targets[validation_mask]
    own = examples.own[validation_mask]
    base_rate = examples.source.base_rate
    # The headline figures are on the label's own dataset, comparable with published results.
    evaluation = evaluate(targets[own], scores[own], base_rate=base_rate)
    figures: dict[str, Any] = {
        **evaluation.as_dict(),
        "n_train": examples.n_train,
        "n_validation": evaluation.n,
    }
    if not own.all():
        figures["roc_auc_with_borrowed_negatives"] = float(roc_auc_score(targets, scores))
        figures["n_validation_borrowed"] = int((~own).sum())
        figures["borrowed_negatives_p90_score"] = float(np.quantile(scores[~own], 0.9))
    if decisions is not None:
        figures["n_decisions_train"] = decisions.n_train
        recent = decisions_evaluation(pipeline, decisions)
        if recent is not None:
            figures["decisions"] = recent
    validation = ValidationSet(
        texts=[str(text) for text in texts[validation_mask]],
        targets=targets,
        own=own,
        scores=scores,
        base_rate=base_rate,
    )
    return pipeline, figures, validation


def decisions_evaluation(pipeline: Pipeline, decisions: Decisions) -> dict[str, Any] | None:
    """Figures on the recent decisions, or None when they do not hold both outcomes."""
    recent_targets = decisions.targets[decisions.recent]
    if set(np.unique(recent_targets).tolist()) != {0, 1}:
        return None
    recent_texts = np.array(decisions.texts, dtype=object)[decisions.recent]
    scores = positive_probabilities(pipeline, recent_texts)
    return evaluate(recent_targets, scores).headline()


def set_thresholds(
    model: TrainedModel,
    targets: Mapping[str, Targets],
    *,
    progress: Callable[[str], None] = lambda line: None,
) -> None:
    """Derive each label's thresholds from `targets` on its validation rows; estimate workload."""
    for label, rows in model.validation.items():
        if label not in targets:
            continue
        # A label's own rows are weighted to its real base rate; borrowed negatives count as is.
        weights = np.ones(len(rows.targets))
        weights[rows.own] = base_rate_weights(rows.targets[rows.own], rows.base_rate)
        derived = derive_thresholds(rows.targets, rows.scores, targets[label], weights=weights)
        model.thresholds[label] = derived.as_setting()
        model.metrics[label]["thresholds"] = {
            "targets": asdict(targets[label]),
            "publish": derived.publish,
            "reject": derived.reject,
            "harm_published": derived.harm_published,
            "reject_precision": derived.reject_precision,
        }
        precision = (
            f"{derived.reject_precision:.1%}"
            if derived.reject_precision is not None
            else "no threshold reaches the target: never rejects on its own"
        )
        progress(
            f"  {label}: publish below {derived.publish:.4f} ({derived.harm_published:.2%} of "
            f"published would be rejected), reject from {derived.reject:.4f} "
            f"(precision {precision})"
        )

    traffic = model.validation.get(TRAFFIC_LABEL)
    if traffic is None or set(model.thresholds) != set(model.pipelines):
        return
    texts = np.array(traffic.texts, dtype=object)[traffic.own]
    scores = {
        label: positive_probabilities(pipeline, texts)
        for label, pipeline in model.pipelines.items()
    }
    weights = base_rate_weights(traffic.targets[traffic.own], traffic.base_rate)
    expected = workload(scores, model.thresholds, weights=weights)
    model.workload = {
        **expected.as_dict(),
        "sample": f"{TRAFFIC_LABEL} validation rows"
        + (f" weighted to {traffic.base_rate:.0%} positives" if traffic.base_rate else ""),
    }
    progress(
        f"Expected workload on {expected.n:,} {model.workload['sample']}: "
        f"{expected.published:.1%} published automatically, {expected.held:.1%} held for "
        f"moderators, {expected.rejected:.1%} rejected automatically"
    )


def data_reference(
    all_examples: list[Examples],
    *,
    data_dir: Path,
    limit: int | None,
    decisions: Mapping[str, Decisions],
) -> dict[str, Any]:
    """Describe the data a model was trained on, enough to tell whether it changed since."""
    return {
        "data_dir": str(data_dir),
        "limit": limit,
        "split": SPLIT_RULE,
        "moderator_decisions": {
            label: {"train": rows.n_train, "recent": rows.n_recent}
            for label, rows in decisions.items()
        },
        "files": {
            examples.source.label: {
                "path": examples.source.path,
                "sha256": examples.file_sha256,
                "rows": int(examples.own.sum()),
                "positives": int(examples.targets.sum()),
                "recipe": asdict(examples.source.recipe),
                **(
                    {
                        "negatives_from": examples.source.negatives_from.path,
                        "negatives_sha256": examples.borrowed_sha256,
                        "negatives_rows": int((~examples.own).sum()),
                    }
                    if examples.source.negatives_from is not None
                    else {}
                ),
                **(
                    {
                        "supplement": examples.source.supplement.path,
                        "supplement_sha256": examples.supplement_sha256,
                        "supplement_rows": len(examples.supplement_texts),
                        "supplement_weight": examples.source.supplement.weight,
                    }
                    if examples.source.supplement is not None
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
