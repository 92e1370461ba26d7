from __future__ import annotations

import pytest

from comments.policy import (
    HOLD,
    PUBLISH,
    REJECT,
    Decision,
    RuleSignals,
    Thresholds,
    decide,
    describe_reason,
    percentages,
    score_rows,
)

THRESHOLDS = {
    "toxicity": Thresholds(publish=0.3, reject=0.9),
    "spam": Thresholds(publish=0.4, reject=0.95),
}


def test_it_publishes_when_every_label_is_below_its_publish_threshold() -> None:
    decision = decide(scores={"toxicity": 0.1, "spam": 0.2}, thresholds=THRESHOLDS)
    assert decision.status == PUBLISH
    assert decision.reason_codes == ["below_thresholds"]


def test_it_rejects_when_any_label_reaches_its_reject_threshold() -> None:
    decision = decide(scores={"toxicity": 0.1, "spam": 0.95}, thresholds=THRESHOLDS)
    assert decision.status == REJECT
    assert decision.reason_codes == ["spam_over_reject"]


def test_it_holds_what_lies_between_the_thresholds_with_every_reason() -> None:
    decision = decide(scores={"toxicity": 0.5, "spam": 0.41}, thresholds=THRESHOLDS)
    assert decision.status == HOLD
    assert decision.reason_codes == ["spam_uncertain", "toxicity_uncertain"]


def test_it_holds_unscored_comments_for_a_person() -> None:
    decision = decide(scores=None, thresholds=THRESHOLDS)
    assert decision == decide(scores=None, thresholds=THRESHOLDS, premoderated=True)
    assert decision.status == HOLD
    assert decision.reason_codes == ["unscored"]


def test_it_holds_safe_comments_on_a_premoderated_article() -> None:
    decision = decide(
        scores={"toxicity": 0.0, "spam": 0.0}, thresholds=THRESHOLDS, premoderated=True
    )
    assert decision.status == HOLD
    assert decision.reason_codes == ["article_premoderated"]


def test_it_still_rejects_on_a_premoderated_article() -> None:
    decision = decide(
        scores={"toxicity": 0.99, "spam": 0.0}, thresholds=THRESHOLDS, premoderated=True
    )
    assert decision.status == REJECT


def test_it_refuses_thresholds_out_of_order() -> None:
    with pytest.raises(ValueError):
        Thresholds(publish=0.8, reject=0.5)


def test_it_says_each_reason_in_words_with_the_numbers() -> None:
    scores = {"toxicity": 0.5, "spam": 0.97}
    assert describe_reason("toxicity_uncertain", scores=scores, thresholds=THRESHOLDS) == (
        "Toxicity 50.0% ≥ publish threshold 30.0%: too uncertain to publish automatically."
    )
    assert describe_reason("spam_over_reject", scores=scores, thresholds=THRESHOLDS) == (
        "Spam 97.0% ≥ reject threshold 95.0%: rejected automatically."
    )
    assert "no classifier model is active" in describe_reason("unscored")


def test_it_bands_each_score_against_its_thresholds() -> None:
    rows = score_rows({"toxicity": 0.95, "spam": 0.5}, THRESHOLDS)
    assert [(r.label, r.band) for r in rows] == [("spam", "uncertain"), ("toxicity", "high")]


def test_it_rejects_on_a_banned_word_even_without_a_model() -> None:
    rules = RuleSignals(banned_words=("idiot",), has_link=True)
    assert decide(scores=None, thresholds=THRESHOLDS, rules=rules) == Decision(
        REJECT, ["banned_word:idiot"]
    )
    scored = decide(scores={"toxicity": 0.95, "spam": 0.0}, thresholds=THRESHOLDS, rules=rules)
    assert scored == Decision(REJECT, ["banned_word:idiot", "toxicity_over_reject"])


def test_it_holds_on_every_rule_with_all_its_reasons() -> None:
    rules = RuleSignals(
        suspect_words=("moron", "shill"), has_link=True, new_author=True, author_premoderated=True
    )
    decision = decide(
        scores={"toxicity": 0.5, "spam": 0.0}, thresholds=THRESHOLDS, premoderated=True, rules=rules
    )
    assert decision == Decision(
        HOLD,
        [
            "article_premoderated",
            "suspect_word:moron",
            "suspect_word:shill",
            "contains_link",
            "new_author",
            "author_premoderated",
            "toxicity_uncertain",
        ],
    )
    unscored = decide(scores=None, thresholds=THRESHOLDS, rules=RuleSignals(has_link=True))
    assert unscored == Decision(HOLD, ["unscored", "contains_link"])


def test_it_publishes_when_no_rule_applies() -> None:
    decision = decide(
        scores={"toxicity": 0.0, "spam": 0.0}, thresholds=THRESHOLDS, rules=RuleSignals()
    )
    assert decision == Decision(PUBLISH, ["below_thresholds"])


def test_it_names_the_matched_word_in_the_reason() -> None:
    assert describe_reason("banned_word:idiot") == "Contains banned word “idiot”."
    assert describe_reason("suspect_word:free money") == "Contains suspect word “free money”."
    assert describe_reason("contains_link").startswith("Contains a link")
    assert describe_reason("new_author").startswith("One of a new author's first comments")
    assert describe_reason("author_premoderated") == "The author is set to always pre-moderate."


@pytest.mark.parametrize(
    ("values", "shown"),
    [
        ((0.998, 0.9996), ["99.8%", "99.96%"]),
        ((0.9996, 0.9996), ["99.96%", "99.96%"]),
        ((0.5, 0.3, 0.95), ["50.0%", "30.0%", "95.0%"]),
        ((0.30004, 0.3), ["30.004%", "30.000%"]),
        ((0.00002, 0.3), ["0.002%", "30.0%"]),
        ((1.0, 0.99999), ["100.000%", "99.999%"]),
    ],
)
def test_it_shows_percentages_that_never_look_equal_unless_they_are(
    values: tuple[float, ...], shown: list[str]
) -> None:
    assert percentages(*values) == shown


def test_a_card_never_shows_a_score_equal_to_a_threshold_it_is_not() -> None:
    row = score_rows({"toxicity": 0.998}, {"toxicity": Thresholds(publish=0.3, reject=0.9996)})[0]
    assert row.shown == ("99.8%", "30.0%", "99.96%")
    assert row.name == "toxicity"


def test_a_harm_lexicon_match_holds_and_says_why() -> None:
    decision = decide(
        scores={"toxicity": 0.1, "spam": 0.0},
        thresholds=THRESHOLDS,
        rules=RuleSignals(harm=("violence",)),
    )
    assert decision == Decision(HOLD, ["harm_lexicon:violence"])
    assert describe_reason("harm_lexicon:violence").startswith("Reads as a call for violence")
