from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from comments.classifier.metrics import MetricsError, base_rate_weights, evaluate

TARGETS = np.array([0, 0, 0, 0, 1, 0, 1, 1])
SCORES = np.array([0.05, 0.1, 0.2, 0.35, 0.4, 0.6, 0.8, 0.95])


def test_it_computes_the_unweighted_figures_scikit_learn_computes() -> None:
    result = evaluate(TARGETS, SCORES)

    assert result.roc_auc == pytest.approx(roc_auc_score(TARGETS, SCORES))
    assert result.average_precision == pytest.approx(average_precision_score(TARGETS, SCORES))
    assert result.brier == pytest.approx(np.mean((SCORES - TARGETS) ** 2))
    assert (result.n, result.positives) == (8, 3)


def test_it_takes_the_best_precision_that_still_reaches_80_percent_recall() -> None:
    # Recall 1.0 needs the threshold at 0.4, which lets in 0.6 (a negative): precision 3/4.
    assert evaluate(TARGETS, SCORES).precision_at_recall_80 == pytest.approx(0.75)


def test_it_reweights_negatives_to_the_base_rate() -> None:
    weights = base_rate_weights(TARGETS, 0.1)

    positive_share = weights[TARGETS == 1].sum() / weights.sum()
    assert positive_share == pytest.approx(0.1)
    # At a 10% base rate the one negative above 0.4 weighs 9 * 3/5 = 5.4 positives' worth.
    assert evaluate(TARGETS, SCORES, base_rate=0.1).precision_at_recall_80 == pytest.approx(
        3 / (3 + 5.4)
    )
    # ROC-AUC does not depend on the base rate.
    assert evaluate(TARGETS, SCORES, base_rate=0.1).roc_auc == evaluate(TARGETS, SCORES).roc_auc


def test_it_bins_scores_into_a_reliability_curve() -> None:
    result = evaluate(TARGETS, SCORES)

    assert sum(row.count for row in result.reliability) == len(SCORES)
    top = result.reliability[-1]
    assert (top.lower, top.upper, top.count, top.positive_rate) == (0.9, 1.0, 1, 1.0)
    assert top.mean_score == pytest.approx(0.95)


def test_it_puts_a_score_of_exactly_one_in_the_last_bin() -> None:
    result = evaluate([0, 1], [0.0, 1.0])

    assert [(row.lower, row.count) for row in result.reliability] == [(0.0, 1), (0.9, 1)]


@pytest.mark.parametrize(("targets", "scores"), [([1, 1], [0.2, 0.9]), ([], []), ([0, 1], [0.5])])
def test_it_refuses_rows_it_cannot_evaluate(targets: list[int], scores: list[float]) -> None:
    with pytest.raises(MetricsError):
        evaluate(targets, scores)
