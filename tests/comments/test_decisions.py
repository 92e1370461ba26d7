from __future__ import annotations

from datetime import UTC, datetime, timedelta

from comments.classifier.decisions import DecisionRow, decisions_by_label

START = datetime(2026, 11, 1, tzinfo=UTC)
LABELS = ("toxicity", "spam")


def row(comment_id: int, action: str, reason: str = "", minutes: int = 0) -> DecisionRow:
    return DecisionRow(
        comment_id=comment_id,
        text=f"comment {comment_id}",
        action=action,
        reject_reason=reason,
        at=START + timedelta(minutes=minutes),
    )


def test_it_labels_approvals_negative_and_rejections_by_their_reason() -> None:
    decisions = decisions_by_label(
        [row(1, "approved"), row(2, "rejected", "abusive", 1), row(3, "rejected", "spam", 2)],
        labels=LABELS,
        holdout_share=0.0,
    )

    assert decisions["toxicity"].texts == ["comment 1", "comment 2"]
    assert decisions["toxicity"].targets.tolist() == [0, 1]
    assert decisions["spam"].texts == ["comment 1", "comment 3"]
    assert decisions["spam"].targets.tolist() == [0, 1]


def test_it_leaves_out_rejections_that_say_nothing_about_a_label() -> None:
    decisions = decisions_by_label(
        [row(1, "rejected", "off_topic"), row(2, "rejected", "")], labels=LABELS, holdout_share=0
    )

    assert decisions == {}


def test_the_last_word_on_a_comment_counts_and_undo_withdraws_it() -> None:
    decisions = decisions_by_label(
        [
            row(1, "rejected", "abusive", 0),
            row(1, "restored", "", 5),  # published after all: not toxic
            row(2, "approved", "", 1),
            row(2, "undone", "", 2),  # the approval was a slip: no label
        ],
        labels=LABELS,
        holdout_share=0,
    )

    assert decisions["toxicity"].texts == ["comment 1"]
    assert decisions["toxicity"].targets.tolist() == [0]


def test_it_holds_out_the_most_recent_decisions() -> None:
    rows = [row(n, "approved" if n % 2 else "rejected", "abusive", minutes=n) for n in range(10)]

    toxicity = decisions_by_label(reversed(rows), labels=LABELS, holdout_share=0.2)["toxicity"]

    assert toxicity.recent.tolist() == [False] * 8 + [True] * 2
    assert toxicity.texts[-2:] == ["comment 8", "comment 9"]
    assert (toxicity.n_train, toxicity.n_recent) == (8, 2)
