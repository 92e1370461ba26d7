from __future__ import annotations

import numpy as np
import pytest

from comments.classifier.thresholds import NEVER, Targets, derive_thresholds, workload

# 100 comments scored 0.00..0.99; the top 30 are positives, plus two stray ones low down.
SCORES = np.arange(100) / 100
TARGETS = (SCORES >= 0.70).astype(int)
TARGETS[[10, 50]] = 1


def share_positive(selected: np.ndarray) -> float:
    return float(TARGETS[selected].mean())


def test_it_publishes_as_much_as_the_harm_target_allows() -> None:
    derived = derive_thresholds(TARGETS, SCORES, Targets(0.02, 0.99))

    published = SCORES < derived.publish
    assert share_positive(published) <= 0.02
    # One step higher would break the target: the threshold is the highest that meets it.
    assert share_positive(SCORES <= derived.publish) > 0.02
    assert derived.harm_published == pytest.approx(share_positive(published))


def test_it_rejects_only_where_precision_meets_the_target() -> None:
    derived = derive_thresholds(TARGETS, SCORES, Targets(0.01, 0.99))

    rejected = SCORES >= derived.reject
    assert share_positive(rejected) >= 0.99
    assert derived.reject == pytest.approx(0.70)  # everything from 0.70 up is positive
    assert derived.reject_precision == pytest.approx(1.0)


def test_a_looser_precision_target_rejects_more() -> None:
    strict = derive_thresholds(TARGETS, SCORES, Targets(0.01, 0.99))
    loose = derive_thresholds(TARGETS, SCORES, Targets(0.01, 0.60))

    assert loose.reject < strict.reject
    assert share_positive(SCORES >= loose.reject) >= 0.60


def test_it_never_rejects_when_no_threshold_reaches_the_precision() -> None:
    targets = np.array([0, 1, 0, 1, 0, 1])
    scores = np.array([0.1, 0.2, 0.3, 0.4, 0.9, 0.8])

    derived = derive_thresholds(targets, scores, Targets(0.01, 0.99))

    assert (derived.reject, derived.reject_precision) == (NEVER, None)
    assert derived.publish <= derived.reject


def test_it_publishes_everything_when_nothing_is_harmful_enough() -> None:
    derived = derive_thresholds(np.zeros(5, dtype=int), np.linspace(0, 0.9, 5), Targets(0.01, 0.99))

    assert derived.publish == NEVER


def test_weights_stand_for_a_base_rate() -> None:
    # Negatives weigh ten times more: the same harm share allows publishing further up.
    weights = np.where(TARGETS == 1, 1.0, 10.0)

    plain = derive_thresholds(TARGETS, SCORES, Targets(0.02, 0.99))
    weighted = derive_thresholds(TARGETS, SCORES, Targets(0.02, 0.99), weights=weights)

    assert weighted.publish > plain.publish


@pytest.mark.parametrize("bad", [(-0.1, 0.9), (1.0, 0.9), (0.01, 0.0), (0.01, 1.5)])
def test_it_refuses_targets_outside_their_range(bad: tuple[float, float]) -> None:
    with pytest.raises(ValueError):
        Targets(*bad)


def test_the_workload_split_follows_the_policy_rule() -> None:
    scores = {"toxicity": [0.1, 0.5, 0.99, 0.1], "spam": [0.1, 0.1, 0.1, 0.98]}
    thresholds = {
        "toxicity": {"publish": 0.3, "reject": 0.95},
        "spam": {"publish": 0.4, "reject": 0.97},
    }

    split = workload(scores, thresholds)

    assert (split.published, split.held, split.rejected, split.n) == (0.25, 0.25, 0.5, 4)
    weighted = workload(scores, thresholds, weights=[2, 1, 1, 0])
    assert (weighted.published, weighted.held, weighted.rejected) == (0.5, 0.25, 0.25)
