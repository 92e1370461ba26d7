from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from comments.classifier.decisions import DecisionRow, decisions_by_label

START = datetime(2026, 11, 1, tzinfo=UTC)
LABELS = ("toxicity", "spam")
PUBLISHED = {"toxicity": 0, "spam": 0}
TOXIC = {"toxicity": 1}
SPAM = {"spam": 1}
UNDONE = None


def row(comment_id: int, targets: Mapping[str, int] | None, minutes: int = 0) -> DecisionRow:
    return DecisionRow(
        comment_id=comment_id,
        text=f"comment {comment_id}",
        targets=targets,
        at=START + timedelta(minutes=minutes),
    )


def test_it_gives_each_label_the_comments_a_decision_speaks_to() -> None:
    decisions = decisions_by_label(
        [row(1, PUBLISHED), row(2, TOXIC, 1), row(3, SPAM, 2)],
        labels=LABELS,
        holdout_share=0.0,
    )

    assert decisions["toxicity"].texts == ["comment 1", "comment 2"]
    assert decisions["toxicity"].targets.tolist() == [0, 1]
    assert decisions["spam"].texts == ["comment 1", "comment 3"]
    assert decisions["spam"].targets.tolist() == [0, 1]


def test_it_leaves_out_decisions_that_say_nothing_about_a_label() -> None:
    decisions = decisions_by_label(
        [row(1, {}), row(2, {"other-label": 1})], labels=LABELS, holdout_share=0
    )

    assert decisions == {}


def test_the_last_word_on_a_comment_counts_and_undo_withdraws_it() -> None:
    decisions = decisions_by_label(
        [
            row(1, TOXIC, 0),
            row(1, PUBLISHED, 5),  # restored: not toxic after all
            row(2, PUBLISHED, 1),
            row(2, UNDONE, 2),  # the approval was a slip: no label
        ],
        labels=LABELS,
        holdout_share=0,
    )

    assert decisions["toxicity"].texts == ["comment 1"]
    assert decisions["toxicity"].targets.tolist() == [0]


def test_it_holds_out_the_most_recent_decisions() -> None:
    rows = [row(n, PUBLISHED if n % 2 else TOXIC, minutes=n) for n in range(10)]

    toxicity = decisions_by_label(reversed(rows), labels=LABELS, holdout_share=0.2)["toxicity"]

    assert toxicity.recent.tolist() == [False] * 8 + [True] * 2
    assert toxicity.texts[-2:] == ["comment 8", "comment 9"]
    assert (toxicity.n_train, toxicity.n_recent) == (8, 2)
