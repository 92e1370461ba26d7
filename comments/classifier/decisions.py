"""Moderators' decisions as training labels: each approve or reject says what a comment was.

A moderator's final word on a comment labels it: published (approved or restored) means it was
neither toxic nor spam; rejected as abusive means toxic; rejected as spam means spam. Other
rejections (off-topic, personal information) say nothing about either label and are left out,
as is a comment whose last action was undone. The most recent decisions are held out: they are
how the newsroom's comments look now, and promotion checks a candidate on them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from comments.classifier.training import Decisions

PUBLISHED_ACTIONS = frozenset({"approved", "restored"})
# Which label a rejection's reason makes positive.
REJECT_REASON_LABELS = {"abusive": "toxicity", "spam": "spam"}


@dataclass(frozen=True)
class DecisionRow:
    """One moderator event on a comment, as read from the audit trail, oldest first."""

    comment_id: int
    text: str
    action: str  # approved, restored, rejected or undone
    reject_reason: str
    at: datetime


def decisions_by_label(
    rows: Iterable[DecisionRow], *, labels: Iterable[str], holdout_share: float
) -> dict[str, Decisions]:
    """Turn audit rows into each label's examples, the latest `holdout_share` held out."""
    final: dict[int, DecisionRow | None] = {}
    for row in rows:
        final[row.comment_id] = None if row.action == "undone" else row
    verdicts = sorted((row for row in final.values() if row is not None), key=lambda r: r.at)

    examples: dict[str, list[tuple[str, int]]] = {label: [] for label in labels}
    for row in verdicts:
        for label in examples:
            target = _target(row, label)
            if target is not None:
                examples[label].append((row.text, target))

    decisions = {}
    for label, rows_for_label in examples.items():
        if not rows_for_label:
            continue
        n_recent = round(len(rows_for_label) * holdout_share)
        recent = np.zeros(len(rows_for_label), dtype=bool)
        if n_recent:
            recent[-n_recent:] = True
        decisions[label] = Decisions(
            texts=[text for text, _ in rows_for_label],
            targets=np.array([target for _, target in rows_for_label], dtype=np.int8),
            recent=recent,
        )
    return decisions


def _target(row: DecisionRow, label: str) -> int | None:
    if row.action in PUBLISHED_ACTIONS:
        return 0
    if row.action == "rejected" and REJECT_REASON_LABELS.get(row.reject_reason) == label:
        return 1
    return None
