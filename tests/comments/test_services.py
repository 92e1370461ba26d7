from __future__ import annotations

from typing import Any

import pytest

from comments import services
from comments.models import Comment, CommentStatus, ModerationEvent
from tests.factories import make_article, make_comment, make_moderator, make_user

pytestmark = pytest.mark.django_db


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
