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

# One word per label everywhere a person reads it: the settings', the API's and the model's own.
LABEL_NAMES = {"toxicity": "toxicity", "spam": "spam"}


def percentages(*values: float) -> list[str]:
    """Each value as a percentage, precise enough never to look like another when it is not.

    One decimal by default; more (up to four) where two different values would print the same,
    or where a value would print as 0% or 100% without being it: 0.998 against a threshold of
    0.9996 prints "99.8%" against "99.96%", not "100%" against "100%".
    """
    shown = []
    for value in values:
        digits = 1
        while digits < 4:
            text = f"{value * 100:.{digits}f}"
            misleading = (float(text) == 100.0 and value < 1.0) or (
                float(text) == 0.0 and value > 0.0
            )
            clashes = any(
                other != value and f"{other * 100:.{digits}f}" == text for other in values
            )
            if not (misleading or clashes):
                break
            digits += 1
        shown.append(f"{value * 100:.{digits}f}%")
    return shown


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


@dataclass(frozen=True)
class RuleSignals:
    """What the workspace's rules found in a comment and about its author.

    Gathered by `comments.rules.gather_rule_signals`; the words are the rules' own phrases, so a
    moderator sees the rule that matched, not the reader's spelling of it.
    """

    banned_words: tuple[str, ...] = ()
    suspect_words: tuple[str, ...] = ()
    has_link: bool = False
    new_author: bool = False
    author_premoderated: bool = False
    # The harm lexicon's categories found ("violence", "dehumanising", "threat"): each holds.
    harm: tuple[str, ...] = ()

    @property
    def reject_codes(self) -> list[str]:
        return [f"{BANNED_WORD}{word}" for word in self.banned_words]

    @property
    def hold_codes(self) -> list[str]:
        codes = [f"{HARM_LEXICON}{category}" for category in self.harm]
        codes += [f"{SUSPECT_WORD}{word}" for word in self.suspect_words]
        if self.has_link:
            codes.append("contains_link")
        if self.new_author:
            codes.append("new_author")
        if self.author_premoderated:
            codes.append("author_premoderated")
        return codes


# Reason codes that carry the matched phrase after the prefix: "banned_word:idiot".
BANNED_WORD = "banned_word:"
SUSPECT_WORD = "suspect_word:"
HARM_LEXICON = "harm_lexicon:"
HARM_WORDS = {
    "violence": "a call for violence",
    "dehumanising": "dehumanising language",
    "threat": "a threat",
}


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
    rules: RuleSignals | None = None,
) -> Decision:
    """Decide a comment's fate from its model scores, the article's policy and the rules.

    `scores` is None when no model is active: the comment is held, unscored, for a human. A banned
    word, or a label at or above its reject threshold, rejects; below the publish threshold on
    every label publishes; anything else is held. A pre-moderated article, a suspect word, a
    link, a new or pre-moderated author hold what would be published. Every reason is kept.
    """
    rules = rules or RuleSignals()
    if scores is None:
        if rules.reject_codes:
            return Decision(REJECT, rules.reject_codes)
        return Decision(HOLD, ["unscored", *rules.hold_codes])

    rejecting = rules.reject_codes + [
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
    holding = (["article_premoderated"] if premoderated else []) + rules.hold_codes + uncertain
    if holding:
        return Decision(HOLD, holding)
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
    def shown(self) -> tuple[str, str, str]:
        """Score, publish and reject threshold as percentages that never look equal unless they
        are ("" for a missing threshold)."""
        limits = [value for value in (self.publish, self.reject) if value is not None]
        texts = dict(zip([self.score, *limits], percentages(self.score, *limits), strict=True))
        return (
            texts[self.score],
            texts[self.publish] if self.publish is not None else "",
            texts[self.reject] if self.reject is not None else "",
        )

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
    "_over_reject": ("reject", "{name} {detail}: rejected automatically."),
    "_uncertain": ("publish", "{name} {detail}: too uncertain to publish automatically."),
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
        "scoring_failed": "Scoring failed on every attempt (the error is below), so a person "
        "must decide.",
        "article_premoderated": "Pre-moderated article: every comment waits for a moderator.",
        "below_thresholds": "Every score is below its publish threshold.",
        "contains_link": "Contains a link: comments with links wait for a moderator.",
        "new_author": "One of a new author's first comments: they wait for a moderator.",
        "author_premoderated": "The author is set to always pre-moderate.",
    }
    if code in fixed:
        return fixed[code]
    if code.startswith(BANNED_WORD):
        return f"Contains banned word “{code.removeprefix(BANNED_WORD)}”."
    if code.startswith(HARM_LEXICON):
        category = code.removeprefix(HARM_LEXICON)
        return (
            f"Reads as {HARM_WORDS.get(category, category)} (harm lexicon): a person must "
            "decide, whatever the scores."
        )
    if code.startswith(SUSPECT_WORD):
        return f"Contains suspect word “{code.removeprefix(SUSPECT_WORD)}”."
    for suffix, (which, sentence) in _LABEL_REASONS.items():
        if code.endswith(suffix):
            label = code.removesuffix(suffix)
            score = (scores or {}).get(label)
            limit = (thresholds or {}).get(label)
            if score is not None and limit is not None:
                shown, threshold = percentages(score, getattr(limit, which))
                detail = f"{shown} ≥ {which} threshold {threshold}"
            else:
                detail = f"over its {which} threshold"
            return sentence.format(name=LABEL_NAMES.get(label, label).capitalize(), detail=detail)
    return code.replace("_", " ").capitalize() + "."


# The community guidelines a reason code points to, in words for the comment's author: what was
# found, never raw scores, thresholds or the exact word a list matched (that would teach evasion).
_AUTHOR_REASONS = {
    "toxicity_uncertain": "it may contain a personal attack or abusive language",
    "toxicity_over_reject": "it very likely contains a personal attack or abusive language",
    "spam_uncertain": "it may be advertising or spam",
    "spam_over_reject": "it very likely is advertising or spam",
    "contains_link": "it contains a link, and comments with links are checked by a person first",
    "new_author": "the first comments of a new member are checked by a person first",
    "author_premoderated": "a moderator checks your comments before they appear",
    "article_premoderated": "every comment on this article is checked by a person first",
    "unscored": "our automatic check was not available, so a person will look at it",
    "scoring_failed": "our automatic check was not available, so a person will look at it",
}
GUIDELINE_WORDING = "it contains language our community guidelines do not allow"
SUSPECT_WORDING = "it contains a word our moderators check before it appears"


def reasons_for_author(codes: list[str]) -> list[str]:
    """Say why a comment was held or rejected, for its author, in the guidelines' words."""
    words: list[str] = []
    for code in codes:
        if code.startswith(BANNED_WORD):
            text = GUIDELINE_WORDING
        elif code.startswith(SUSPECT_WORD):
            text = SUSPECT_WORDING
        else:
            text = _AUTHOR_REASONS.get(code, "")
        if text and text not in words:
            words.append(text)
    return words
