"""A refused or stalled broker never costs a reader their comment; the sweeper recovers it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from comments import tasks
from comments.models import Comment, CommentStatus, ModerationEvent
from tests.factories import make_article, make_user
from tests.workers import (
    CeleryWorker,
    celery_broker,
    refusing_port,
    run_with_deadline,
    stalled_listener,
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Generous: this bounds a hang, it does not measure speed (settings give the broker about 1 s).
REQUEST_DEADLINE = 15.0


@pytest.fixture(params=["refused", "stalled"])
def broken_broker_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A broker URL that refuses connections, or accepts them and then never answers."""
    broken = refusing_port if request.param == "refused" else stalled_listener
    with broken() as url:
        yield url


def test_it_keeps_the_comment_pending_and_the_sweeper_enqueues_it_once_redis_is_back(
    broken_broker_url: str,
    client: Client,
    caplog: pytest.LogCaptureFixture,
    celery_worker: CeleryWorker,
    active_classifier: Any,
) -> None:
    article = make_article()
    client.force_login(make_user("rita"))
    caplog.set_level(logging.WARNING, logger="comments.tasks")

    # The request runs in its own thread, on its own connection, with no test transaction around
    # it: the enqueue runs on the real commit, as in production, and a hang fails only this test.
    with celery_broker(broken_broker_url):
        response = run_with_deadline(
            lambda: client.post(
                reverse("comments:post", kwargs={"slug": article.slug}),
                {"body": "Posted while the broker is away."},
                HTTP_HX_REQUEST="true",
            ),
            timeout=REQUEST_DEADLINE,
            what="posting a comment with the broker down",
        )

    assert response.status_code == 200
    comment = Comment.objects.get()
    assert comment.status == CommentStatus.PENDING
    assert f'id="comment-{comment.pk}"' in response.text
    assert "Awaiting moderation" in response.text
    assert f"could not enqueue scoring for comment {comment.pk}" in caplog.text

    # Redis is back (the session's broker again): one sweep hands the comment to the worker.
    since = celery_worker.mark()
    assert tasks.sweep_pending(older_than=timedelta(0)) == 1
    celery_worker.wait_for(rf"comment {comment.pk} (published|held|rejected) by model", since=since)
    comment.refresh_from_db()
    assert comment.status != CommentStatus.PENDING
    assert ModerationEvent.objects.filter(comment=comment).count() == 1


def test_it_leaves_comments_due_for_the_next_sweep_while_the_broker_is_stalled(
    caplog: pytest.LogCaptureFixture,
) -> None:
    article, author = make_article(), make_user("rita")
    comment = Comment.objects.create(article=article, author=author, body="Still waiting.")
    requested_at = comment.scoring_requested_at

    with stalled_listener() as url, celery_broker(url):
        enqueued = run_with_deadline(
            lambda: tasks.sweep_pending(older_than=timedelta(0)),
            timeout=REQUEST_DEADLINE,
            what="a sweep with the broker stalled",
        )

    assert enqueued == 0
    comment.refresh_from_db()
    assert comment.is_pending
    assert comment.scoring_requested_at == requested_at  # still due for the next sweep
    assert "left pending comments for the next sweep: broker unavailable" in caplog.text
