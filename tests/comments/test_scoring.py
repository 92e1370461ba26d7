from __future__ import annotations

from typing import Any

import pytest

from articles.models import CommentPolicy
from comments import model_versions, scoring
from comments.classifier.labels import LABELS
from comments.models import ClassifierModel, CommentStatus, EventAction, ModerationEvent
from tests.factories import SafeScores, make_article, make_classifier_model, make_comment, make_user

pytestmark = pytest.mark.django_db

HOSTILE = "Honestly, you are a stupid idiot."


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
