from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from articles.models import CommentPolicy
from comments import services
from comments.models import Comment, CommentStatus, EventAction, ModerationEvent
from tests.factories import SafeScores, make_article, make_comment, make_moderator, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record scoring tasks published to the broker instead of sending them."""
    from comments.tasks import score_comment

    sent: list[int] = []
    monkeypatch.setattr(score_comment, "apply_async", lambda args, **kw: sent.append(args[0]))
    return sent


def test_it_saves_a_pending_comment_and_enqueues_scoring_only_after_commit(
    enqueued: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    article, author = make_article(), make_user()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        comment = services.submit_comment(article=article, author=author, body="Hello")
        assert enqueued == []  # nothing leaves before the transaction commits
    assert len(callbacks) == 1
    assert enqueued == [comment.pk]
    assert Comment.objects.get(pk=comment.pk).status == CommentStatus.PENDING


def test_it_keeps_the_comment_when_the_broker_refuses(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any, caplog: Any
) -> None:
    from comments.tasks import score_comment

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(score_comment, "apply_async", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        comment = services.submit_comment(article=make_article(), author=make_user(), body="Hi")
    assert Comment.objects.get(pk=comment.pk).is_pending
    assert "the sweeper will retry it" in caplog.text


def test_it_holds_comments_unscored_when_no_model_is_active() -> None:
    comment = make_comment(article=make_article(), author=make_user())
    decided = services.score_comment(comment_id=comment.pk)
    assert decided is not None
    assert decided.status == CommentStatus.HELD
    assert decided.reason_codes == ["unscored"]
    assert decided.scores == {}
    event = ModerationEvent.objects.get(comment=comment)
    assert (event.actor, event.action, event.to_status) == (None, EventAction.SCORED, "held")


def test_it_decides_once_when_scoring_runs_twice() -> None:
    comment = make_comment(article=make_article(), author=make_user())
    assert services.score_comment(comment_id=comment.pk) is not None
    assert services.score_comment(comment_id=comment.pk) is None
    assert ModerationEvent.objects.filter(comment=comment).count() == 1


def test_it_ignores_a_task_for_a_comment_that_no_longer_exists() -> None:
    assert services.score_comment(comment_id=987654) is None


def test_it_lets_a_moderator_approve_a_held_comment_with_an_audit_event() -> None:
    moderator = make_moderator()
    comment = make_comment(article=make_article(), author=make_user(), status=CommentStatus.HELD)
    services.approve_comment(comment=comment, moderator=moderator)
    comment.refresh_from_db()
    assert comment.status == CommentStatus.PUBLISHED
    event = ModerationEvent.objects.get(comment=comment)
    assert (event.actor, event.action, event.from_status) == (moderator, "approved", "held")


def test_it_refuses_to_approve_a_comment_that_changed_since_the_moderator_saw_it() -> None:
    comment = make_comment(
        article=make_article(), author=make_user(), status=CommentStatus.REJECTED
    )
    with pytest.raises(services.InvalidTransition):
        services.approve_comment(
            comment=comment, moderator=make_moderator(), expected_status="held"
        )
    assert Comment.objects.get(pk=comment.pk).status == CommentStatus.REJECTED
    assert not ModerationEvent.objects.exists()


def test_it_refuses_transitions_outside_the_state_machine() -> None:
    comment = make_comment(
        article=make_article(), author=make_user(), status=CommentStatus.PUBLISHED
    )
    with pytest.raises(services.InvalidTransition):
        services.approve_comment(comment=comment, moderator=make_moderator())


def test_it_sweeps_only_comments_pending_longer_than_the_threshold(enqueued: list[int]) -> None:
    article, author = make_article(), make_user()
    old = timezone.now() - timedelta(seconds=120)
    stale = make_comment(article=article, author=author, scoring_requested_at=old)
    make_comment(article=article, author=author)  # just posted: its own task is on its way
    make_comment(article=article, author=author, status="held", scoring_requested_at=old)

    assert services.sweep_pending_comments(older_than=timedelta(seconds=60)) == 1
    assert enqueued == [stale.pk]
    stale.refresh_from_db()
    assert stale.scoring_requested_at > old
    # Asked again only after another full interval.
    assert services.sweep_pending_comments(older_than=timedelta(seconds=60)) == 0


def test_it_leaves_comments_due_when_the_broker_is_down(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "enqueue_scoring", lambda comment_id: False)
    old = timezone.now() - timedelta(seconds=120)
    comment = make_comment(article=make_article(), author=make_user(), scoring_requested_at=old)
    assert services.sweep_pending_comments(older_than=timedelta(seconds=60)) == 0
    comment.refresh_from_db()
    assert comment.scoring_requested_at == old


def test_it_holds_safe_comments_on_premoderated_articles_once_scored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(services.classifier, "get_active_model", lambda: SafeScores())
    article = make_article(policy=CommentPolicy.PREMODERATE)
    comment = make_comment(article=article, author=make_user())
    decided = services.score_comment(comment_id=comment.pk)
    assert decided is not None
    assert decided.status == CommentStatus.HELD
    assert decided.reason_codes == ["article_premoderated"]
    assert decided.risk == pytest.approx(0.01)
