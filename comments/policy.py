"""The moderation policy: from a comment's signals to one decision with all its reasons.

Pure functions, no ORM: the scoring service gathers the signals, this module decides, and the
service writes the outcome. Every reason has a stable code (stored, and later a training
feature) and words for the moderator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

PUBLISH = "published"
HOLD = "held"
REJECT = "rejected"

LABEL_NAMES = {"toxicity": "toxic", "spam": "spam"}


@dataclass(frozen=True)
class Thresholds:
    publish: float
    reject: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.publish <= self.reject <= 1.0:
            raise ValueError(f"need 0 <= publish <= reject <= 1, got {self}")


@dataclass(frozen=True)
class Decision:
    status: str
    reason_codes: list[str] = field(default_factory=list)


def thresholds_from_settings(raw: Mapping[str, Mapping[str, float]]) -> dict[str, Thresholds]:
    return {label: Thresholds(publish=t["publish"], reject=t["reject"]) for label, t in raw.items()}


def effective_thresholds(
    model: Mapping[str, Mapping[str, float]] | None, fallback: Mapping[str, Mapping[str, float]]
) -> dict[str, Thresholds]:
    """A model version's own thresholds (derived from targets); settings for labels it lacks."""
    return thresholds_from_settings({**fallback, **(model or {})})


def decide(
    *,
    scores: Mapping[str, float] | None,
    thresholds: Mapping[str, Thresholds],
    premoderated: bool = False,
) -> Decision:
    """Decide a comment's fate from its model scores and the article's policy.

    `scores` is None when no model is active: the comment is held, unscored, for a human. A label
    at or above its reject threshold rejects; below the publish threshold on every label
    publishes; anything else is held. A pre-moderated article holds what would be published.
    """
    if scores is None:
        return Decision(HOLD, ["unscored"])

    rejecting = [
        f"{label}_over_reject"
        for label in sorted(scores)
        if _over(scores, thresholds, label, "reject")
    ]
    if rejecting:
        return Decision(REJECT, rejecting)

    uncertain = [
        f"{label}_uncertain"
        for label in sorted(scores)
        if _over(scores, thresholds, label, "publish")
    ]
    if premoderated:
        return Decision(HOLD, ["article_premoderated", *uncertain])
    if uncertain:
        return Decision(HOLD, uncertain)
    return Decision(PUBLISH, ["below_thresholds"])


def _over(
    scores: Mapping[str, float], thresholds: Mapping[str, Thresholds], label: str, which: str
) -> bool:
    limit = getattr(thresholds[label], which) if label in thresholds else None
    return limit is not None and scores[label] >= limit


@dataclass(frozen=True)
class ScoreRow:
    label: str
    name: str
    score: float
    publish: float | None
    reject: float | None

    @property
    def band(self) -> str:
        """Where the score falls: "low" (publishable), "uncertain" or "high" (rejectable)."""
        if self.reject is not None and self.score >= self.reject:
            return "high"
        if self.publish is not None and self.score >= self.publish:
            return "uncertain"
        return "low"


def score_rows(scores: Mapping[str, float], thresholds: Mapping[str, Thresholds]) -> list[ScoreRow]:
    rows = []
    for label in sorted(scores):
        limit = thresholds.get(label)
        rows.append(
            ScoreRow(
                label=label,
                name=LABEL_NAMES.get(label, label),
                score=scores[label],
                publish=limit.publish if limit else None,
                reject=limit.reject if limit else None,
            )
        )
    return rows


# Reason codes about one label: "<label><suffix>", with the threshold they crossed.
_LABEL_REASONS = {
    "_over_reject": ("reject", "Very likely {name}{detail}."),
    "_uncertain": ("publish", "Possibly {name}{detail}: too uncertain to publish automatically."),
}


def describe_reason(
    code: str,
    *,
    scores: Mapping[str, float] | None = None,
    thresholds: Mapping[str, Thresholds] | None = None,
) -> str:
    """Say a reason code in words for a moderator, with the score and threshold where known."""
    fixed = {
        "unscored": "Not scored: no classifier model is active, so a person must decide.",
        "article_premoderated": "Pre-moderated article: every comment waits for a moderator.",
        "below_thresholds": "Every score is below its publish threshold.",
    }
    if code in fixed:
        return fixed[code]
    for suffix, (which, sentence) in _LABEL_REASONS.items():
        if code.endswith(suffix):
            label = code.removesuffix(suffix)
            score = (scores or {}).get(label)
            limit = (thresholds or {}).get(label)
            detail = (
                f" ({score:.0%} ≥ {which} threshold {getattr(limit, which):.0%})"
                if score is not None and limit is not None
                else ""
            )
            return sentence.format(name=LABEL_NAMES.get(label, label), detail=detail)
    return code.replace("_", " ").capitalize() + "."
