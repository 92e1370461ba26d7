"""Score a text in the web process for another system, with the workers' cached model.

One of DESIGN.md's two places where a web process scores: nothing here writes. It imports
scikit-learn (through `comments.model_versions`), so the views import it on first use only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings

from comments import model_versions, policy, rules


@dataclass(frozen=True)
class Scored:
    scores: dict[str, float]
    spans: dict[str, list[dict[str, Any]]]


def score_text(*, text: str, labels: tuple[str, ...]) -> Scored | None:
    """The active model's scores and explanations for `labels`; None when no model is active."""
    active = model_versions.get_active_model()
    if active is None:
        return None
    scores, spans = active.score_and_explain(text, labels)
    return Scored(scores=scores, spans=spans)


@dataclass(frozen=True)
class Decided:
    decision: policy.Decision
    scores: dict[str, float]
    model_version_id: int | None


def decide_text(*, text: str) -> Decided:
    """Our policy's decision on a text that has no comment here (rules on the text only)."""
    active = model_versions.get_active_model()
    scores = active.score(text) if active is not None else None
    thresholds = policy.effective_thresholds(
        active.thresholds if active is not None else None, settings.MODERATION_THRESHOLDS
    )
    decision = policy.decide(
        scores=scores, thresholds=thresholds, rules=rules.gather_text_signals(text)
    )
    return Decided(
        decision=decision,
        scores=scores or {},
        model_version_id=active.record_id if active is not None else None,
    )
