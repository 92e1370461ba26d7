from __future__ import annotations

from typing import Any

import pytest

from articles.models import CommentPolicy
from comments import model_versions, scoring
from comments.classifier.labels import LABELS
from comments.models import (
    ClassifierModel,
    Comment,
    CommentStatus,
    EventAction,
    ModerationEvent,
)
from tests.factories import SafeScores, make_article, make_classifier_model, make_comment, make_user

pytestmark = pytest.mark.django_db

HOSTILE = "Honestly, you are a stupid idiot."
NEUTRAL = "I read the whole article and the council should publish the budget."


def store_active(artifact: bytes, thresholds: dict[str, dict[str, float]]) -> ClassifierModel:
    return make_classifier_model(artifact=artifact, active=True, thresholds=thresholds)


def test_it_stores_the_spans_behind_each_score(artifact: bytes) -> None:
    store_active(artifact, {})
    comment = make_comment(article=make_article(), author=make_user(), body=HOSTILE)

    decided = scoring.score_comment(comment_id=comment.pk)

    assert decided is not None
    assert set(decided.explanations) == set(LABELS)
    words = {HOSTILE[s["start"] : s["end"]] for s in decided.explanations["toxicity"]}
    assert words & {"stupid", "idiot"}


def test_it_decides_with_the_model_versions_own_thresholds(artifact: bytes) -> None:
    # A version whose derived thresholds publish nothing and reject nothing holds everything.
    store_active(
        artifact,
        {
            "toxicity": {"publish": 0.0, "reject": 1.0},
            "spam": {"publish": 0.0, "reject": 1.0},
        },
    )
    comment = make_comment(article=make_article(), author=make_user(), body="Thanks, good read.")

    decided = scoring.score_comment(comment_id=comment.pk)

    assert decided is not None and decided.status == CommentStatus.HELD
    assert [row.publish for row in decided.score_rows] == [0.0, 0.0]


def test_it_holds_comments_unscored_when_no_model_is_active() -> None:
    comment = make_comment(article=make_article(), author=make_user())
    decided = scoring.score_comment(comment_id=comment.pk)
    assert decided is not None
    assert decided.status == CommentStatus.HELD
    assert decided.reason_codes == ["unscored"]
    assert decided.scores == {}
    event = ModerationEvent.objects.get(comment=comment)
    assert (event.actor, event.action, event.to_status) == (None, EventAction.SCORED, "held")


def test_it_decides_once_when_scoring_runs_twice() -> None:
    comment = make_comment(article=make_article(), author=make_user())
    assert scoring.score_comment(comment_id=comment.pk) is not None
    assert scoring.score_comment(comment_id=comment.pk) is None
    assert ModerationEvent.objects.filter(comment=comment).count() == 1


def test_it_ignores_a_task_for_a_comment_that_no_longer_exists() -> None:
    assert scoring.score_comment(comment_id=987654) is None


def test_it_holds_safe_comments_on_premoderated_articles_once_scored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(model_versions, "get_active_model", lambda: SafeScores())
    article = make_article(policy=CommentPolicy.PREMODERATE)
    comment = make_comment(article=article, author=make_user())
    decided = scoring.score_comment(comment_id=comment.pk)
    assert decided is not None
    assert decided.status == CommentStatus.HELD
    assert decided.reason_codes == ["article_premoderated"]
    assert decided.risk == pytest.approx(0.01)


class Failing(SafeScores):
    """A model that raises on every comment, as a broken artifact or library might."""

    def score(self, text: str) -> dict[str, float]:
        raise ValueError("the vectorizer exploded")


def test_it_holds_a_comment_for_a_person_once_scoring_failed_the_allowed_times(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.SCORING_MAX_ATTEMPTS = 3
    monkeypatch.setattr(model_versions, "get_active_model", lambda: Failing())
    comment = make_comment(article=make_article(), author=make_user())

    for _ in range(2):
        with pytest.raises(ValueError):
            scoring.score_comment(comment_id=comment.pk)
        comment.refresh_from_db()
        assert comment.is_pending
    with pytest.raises(ValueError):
        scoring.score_comment(comment_id=comment.pk)

    comment.refresh_from_db()
    assert comment.status == CommentStatus.HELD
    assert comment.reason_codes == ["scoring_failed"]
    assert comment.risk is None  # in the "Pending / unscored" queue
    assert comment.scoring_attempts == 3
    assert comment.scoring_error == "ValueError: the vectorizer exploded"
    event = ModerationEvent.objects.get(comment=comment)
    assert (event.actor, event.action) == (None, EventAction.SCORING_FAILED)
    assert event.note == "Scoring failed 3 times: ValueError: the vectorizer exploded"
    assert comment.reasons[0].startswith("Scoring failed on every attempt")


def test_it_counts_an_attempt_before_scoring_and_none_for_a_decided_comment() -> None:
    comment = make_comment(article=make_article(), author=make_user())
    scoring.score_comment(comment_id=comment.pk)
    scoring.score_comment(comment_id=comment.pk)  # redelivered: nothing to do, nothing counted
    comment.refresh_from_db()
    assert comment.scoring_attempts == 1


def test_it_scores_new_comments_waiting_beside_its_own_in_one_batch(artifact: bytes) -> None:
    store_active(artifact, {})
    article, author = make_article(), make_user()
    own, *others = [make_comment(article=article, author=author) for _ in range(4)]

    decided = scoring.score_comments(comment_id=own.pk, batch_size=3)

    assert [c.pk for c in decided] == [own.pk, others[0].pk, others[1].pk]
    assert all(not c.is_pending for c in decided)
    assert Comment.objects.pending().get() == others[2]
    # Their own tasks come later: nothing to do, no attempt counted, no second event.
    assert scoring.score_comments(comment_id=others[0].pk, batch_size=3) == []
    for comment in decided:
        comment.refresh_from_db()
        assert comment.scoring_attempts == 1
        assert ModerationEvent.objects.filter(comment=comment).count() == 1


def test_a_batch_explains_exactly_what_a_person_will_see(artifact: bytes) -> None:
    # Thresholds that hold the hostile comment and publish the neutral one.
    model = store_active(artifact, {label: {"publish": 0.3, "reject": 1.0} for label in LABELS})
    article, author = make_article(), make_user()
    hostile = make_comment(article=article, author=author, body=HOSTILE)
    neutral = make_comment(article=article, author=author, body=NEUTRAL)

    scoring.score_comments(comment_id=hostile.pk, batch_size=2)

    hostile.refresh_from_db()
    neutral.refresh_from_db()
    active = model_versions.get_active_model()
    assert active is not None and active.record_id == model.pk
    assert hostile.status == CommentStatus.HELD
    # ActiveModel.score reads one text with numpy alone: equal to the batch's to rounding.
    assert hostile.scores == pytest.approx(active.score(HOSTILE), rel=1e-12)
    assert hostile.explanations == active.explain(HOSTILE)
    assert neutral.status == CommentStatus.PUBLISHED
    assert neutral.scores == pytest.approx(active.score(NEUTRAL), rel=1e-12)
    assert neutral.explanations == {}
    # Reported, the published comment is explained from the same model and text.
    assert scoring.explain_comment(comment_id=neutral.pk) is True
    neutral.refresh_from_db()
    assert neutral.explanations == active.explain(NEUTRAL)
    assert scoring.explain_comment(comment_id=neutral.pk) is False  # done once


def test_it_leaves_a_comment_another_worker_claimed_until_the_claim_lapses(
    settings: Any,
) -> None:
    comment = make_comment(article=make_article(), author=make_user())
    assert scoring.claim_for_scoring(comment_id=comment.pk, batch_size=1, claim="dead") == [
        comment.pk
    ]

    assert scoring.score_comment(comment_id=comment.pk) is None
    comment.refresh_from_db()
    assert comment.is_pending and comment.scoring_attempts == 1

    # The same task redelivered after its worker died takes its comment back at once.
    assert scoring.score_comments(comment_id=comment.pk, batch_size=1, claim="dead") != []
    comment.refresh_from_db()
    assert not comment.is_pending and comment.scoring_attempts == 2


def test_a_lapsed_claim_lets_another_worker_score_it(settings: Any) -> None:
    settings.SCORING_CLAIM_SECONDS = 0
    comment = make_comment(article=make_article(), author=make_user())
    scoring.claim_for_scoring(comment_id=comment.pk, batch_size=1, claim="dead")
    assert scoring.score_comment(comment_id=comment.pk) is not None


def test_only_comments_never_tried_join_another_comments_batch() -> None:
    article, author = make_article(), make_user()
    own = make_comment(article=article, author=author)
    retried = make_comment(article=article, author=author, scoring_attempts=1)
    fresh = make_comment(article=article, author=author)

    claimed = scoring.claim_for_scoring(comment_id=own.pk, batch_size=10, claim="x")

    assert claimed == [own.pk, fresh.pk]
    assert scoring.claim_for_scoring(comment_id=retried.pk, batch_size=10, claim="y") == [
        retried.pk
    ]


class FailingOn(SafeScores):
    """A model that raises on one text only, and on any batch holding it."""

    def score(self, text: str) -> dict[str, float]:
        if text == "poison":
            raise ValueError("the vectorizer exploded")
        return super().score(text)


def test_one_failing_comment_fails_alone_and_its_batch_is_decided(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(model_versions, "get_active_model", lambda: FailingOn())
    article, author = make_article(), make_user()
    own = make_comment(article=article, author=author)
    poison = make_comment(article=article, author=author, body="poison")
    other = make_comment(article=article, author=author)

    with pytest.raises(ValueError):
        scoring.score_comments(comment_id=own.pk, batch_size=3)

    own.refresh_from_db(), poison.refresh_from_db(), other.refresh_from_db()
    assert own.status == other.status == CommentStatus.PUBLISHED
    assert poison.is_pending and poison.scoring_attempts == 1
    assert poison.scoring_error == "ValueError: the vectorizer exploded"
    assert own.scoring_error == other.scoring_error == ""
    # Free to be tried again at once, alone.
    assert scoring.claim_for_scoring(comment_id=poison.pk, batch_size=3, claim="z") == [poison.pk]
