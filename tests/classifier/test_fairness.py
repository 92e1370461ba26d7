"""Identity-term fairness: per-term AUCs, Jigsaw's bias score, counterfactual copies."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from comments.classifier.fairness import (
    IDENTITY_TERMS,
    FairnessRows,
    counterfactuals,
    identity_terms_in,
    measure,
    power_mean,
    read_fairness,
)
from comments.classifier.training import TrainedModel


def rows_for(terms: list[str]) -> FairnessRows:
    texts, names, targets = [], [], []
    for term in terms:
        for toxic in (0, 0, 1, 1):
            texts.append(f"{term} {toxic}")
            names.append(term)
            targets.append(toxic)
    return FairnessRows(texts=texts, terms=names, targets=np.array(targets, dtype=np.int8))


def test_a_model_that_ignores_the_terms_is_unbiased() -> None:
    rows = rows_for(["gay", "straight"])
    figures = measure(rows, rows.targets * 0.8 + 0.1)
    assert figures["bias_score"] == pytest.approx(1.0)
    assert figures["terms_under_bpsn_target"] == []


def test_harmless_mentions_scored_like_toxic_ones_lower_bpsn_and_the_bias_score() -> None:
    rows = rows_for(["gay", "straight", "deaf"])
    scores = rows.targets * 0.8 + 0.1
    gay = np.array(rows.terms) == "gay"
    scores[gay & (rows.targets == 0)] = 0.95  # "I am a gay person." above every toxic row
    figures = measure(rows, scores)
    assert figures["terms"]["gay"]["bpsn_auc"] == 0.0
    assert figures["terms"]["straight"]["bpsn_auc"] == 1.0
    assert figures["worst_terms"][0]["term"] == "gay"
    assert figures["terms_under_bpsn_target"] == ["gay"]
    assert figures["bias_score"] < 0.5


def test_the_power_mean_weighs_the_worst_most() -> None:
    assert power_mean([1.0, 1.0]) == pytest.approx(1.0)
    assert power_mean([1.0, 0.5]) < 0.6


def test_the_shipped_set_crosses_every_template_with_at_least_40_terms(
    training_data_dir: Path,
) -> None:
    rows = read_fairness(training_data_dir)
    assert rows is not None
    assert len(set(rows.terms)) == len(IDENTITY_TERMS) >= 40
    assert len(rows.texts) % len(IDENTITY_TERMS) == 0
    assert 0 < rows.targets.mean() < 1


def test_counterfactual_copies_balance_the_terms_toxic_texts_name() -> None:
    texts = np.array(
        ["I am a Gay man.", "You gay idiot", "Gay trash", "Nothing here.", "Old news", "Fine."]
        + ["Quiet day."] * 6,
        dtype=object,
    )
    targets = np.array([0, 1, 1, 0, 0, 0] + [0] * 6)
    copies, sources = counterfactuals(texts, targets)
    # 2 of 12 texts are toxic: "gay", in 2 toxic texts, needs 10 harmless ones; it has 1.
    assert len(copies) == 9 and sources == 2
    assert set(copies) == {"I am a gay man.", "gay news"}


def test_training_measures_and_stores_the_figures(trained: TrainedModel) -> None:
    figures = trained.metrics["toxicity"]["fairness"]
    assert set(figures["terms"]) == set(IDENTITY_TERMS)
    assert 0.0 <= figures["bias_score"] <= 1.0
    assert len(figures["worst_terms"]) == 5


def test_it_finds_the_identity_terms_a_text_names() -> None:
    assert identity_terms_in("My Muslim neighbour and an old friend") == {
        "muslim",
        "old",
    }
    assert identity_terms_in("The transit camp flooded again.") == set()
