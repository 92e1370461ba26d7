"""Moderators' decisions as training labels: each publish or reject says what a comment was.

A moderator's final word on a comment labels it: published means it was none of the labels;
rejected for a reason that names a label (abusive: toxicity) makes that label positive and says
nothing about the others; a rejection for another reason (off-topic) says nothing at all, and a
decision taken back (undone) withdraws its labels. The Django side reads each event as the
targets it sets (`comments.model_versions`); this module only keeps each comment's last word and
holds out the most recent: they are how the newsroom's comments look now, and promotion checks a
candidate on them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from comments.classifier.training import Decisions


@dataclass(frozen=True)
class DecisionRow:
    """One moderator's word on a comment, as read from the audit trail.

    `targets` maps each label it speaks to onto 0 (not that) or 1 (that); None when the word
    withdraws the one before it (an undo). `comment_id` names what the word is about: a comment's
    pk, or a string for a text labelled by another system; a later word on it replaces an
    earlier one.
    """

    comment_id: int | str
    text: str
    targets: Mapping[str, int] | None
    at: datetime


def decisions_by_label(
    rows: Iterable[DecisionRow], *, labels: Iterable[str], holdout_share: float
) -> dict[str, Decisions]:
    """Turn audit rows into each label's examples, the latest `holdout_share` held out."""
    final: dict[int | str, DecisionRow | None] = {}
    for row in rows:
        final[row.comment_id] = None if row.targets is None else row
    verdicts = sorted((row for row in final.values() if row is not None), key=lambda r: r.at)

    examples: dict[str, list[tuple[str, int]]] = {label: [] for label in labels}
    for row in verdicts:
        for label, target in (row.targets or {}).items():
            if label in examples:
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
