"""Check a reader's draft before it is saved: would the active model hold or reject it?

The nudge's half of DESIGN.md's two places where a web process scores text: the workers' cached
model (`comments.model_versions.get_active_model_cached`: the workers' per-process cache of the
active version, with which one is active read from the shared cache), scoring
and explaining only, never writing and never deciding: a draft that is posted is still scored
and decided by a worker like any other comment. It imports scikit-learn, so the posting view
imports it on first use (tests/newsroom/test_lean_startup.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings

from comments import model_versions, policy
from comments.explanations import Segment, segments


@dataclass(frozen=True)
class FlaggedDraft:
    """A draft the model would not publish, with the words that drove its scores."""

    scores: dict[str, float]
    reason_codes: list[str]
    explanations: dict[str, list[dict[str, Any]]]
    model_version_id: int

    def segments(self, text: str) -> list[Segment]:
        return segments(text, self.explanations)


def check_draft(text: str) -> FlaggedDraft | None:
    """The model's objection to `text`, or None: it would publish it, or no model is active.

    Only the model speaks here, not the workspace's rules on links, new authors or the article:
    those hold a comment for a person whatever its words, and the reader cannot revise them away.
    """
    # The worker's cached model, with which version is active read from the cache: no query.
    active = model_versions.get_active_model_cached()
    if active is None:
        return None
    # Scores alone first, in numpy alone (ActiveModel.score): most drafts pass, and the
    # explanations cost more than the scores (measured by scripts/bench_live.py against the
    # nudge's 20 ms budget per post).
    scores = active.score(text)
    thresholds = policy.effective_thresholds(active.thresholds, settings.MODERATION_THRESHOLDS)
    decision = policy.decide(scores=scores, thresholds=thresholds)
    if decision.status == policy.PUBLISH:
        return None
    # Highlight the words of the labels that objected, not of those below their thresholds.
    objecting = tuple(
        sorted(
            label
            for label in scores
            if any(code.startswith(f"{label}_") for code in decision.reason_codes)
        )
    )
    _, spans = active.score_and_explain(text, objecting)
    return FlaggedDraft(
        scores=scores,
        reason_codes=decision.reason_codes,
        explanations={label: spans.get(label, []) for label in objecting},
        model_version_id=active.record_id,
    )
