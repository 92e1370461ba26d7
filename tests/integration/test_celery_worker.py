"""A real Celery worker process scores comments from the real Redis into the real database."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from comments import policy
from comments.classifier.labels import LABELS
from comments.model_versions import model_from_record, save_classifier_version
from comments.models import Comment, CommentStatus, EventAction, ModerationEvent
from comments.tasks import score_comment
from tests.factories import make_article, make_comment, make_user
from tests.workers import CeleryWorker

# Committed rows (transaction=True) so the worker's own connection sees them; serialized rollback
# brings back the Moderators group that the flush after each transactional test removes.
pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_it_scores_a_comment_posted_through_the_web_until_it_is_decided(
    client: Client, celery_worker: CeleryWorker, active_classifier: Any
) -> None:
    article = make_article()
    client.force_login(make_user("rita"))
    since = celery_worker.mark()

    response = client.post(
        reverse("comments:post", kwargs={"slug": article.slug}),
        {"body": "Great reporting, I learned a lot about the launch."},
    )

    assert response.status_code == 302
    comment = Comment.objects.get()
    # The service logs its decision after the transaction commits: the row is final by then.
    celery_worker.wait_for(rf"comment {comment.pk} (published|held|rejected) by model", since=since)
    comment.refresh_from_db()
    assert comment.status != CommentStatus.PENDING
    assert comment.model_version_id == active_classifier.pk
    assert set(comment.scores) == set(LABELS)
    # The worker scored with the same model this process would, and applied the policy to it.
    expected = model_from_record(active_classifier).score(comment.body)
    assert comment.scores == pytest.approx(expected)
    decision = policy.decide(
        scores=comment.scores,
        thresholds=policy.thresholds_from_settings(settings.MODERATION_THRESHOLDS),
        premoderated=False,
    )
    assert (comment.status, comment.reason_codes) == (decision.status, decision.reason_codes)
    event = ModerationEvent.objects.get(comment=comment)
    assert (event.actor, event.action) == (None, EventAction.SCORED)
    assert (event.from_status, event.to_status) == (CommentStatus.PENDING, comment.status)


def test_it_leaves_one_decision_when_the_task_is_delivered_twice(
    celery_worker: CeleryWorker, active_classifier: Any
) -> None:
    comment = make_comment(article=make_article(), author=make_user("rita"))
    since = celery_worker.mark()

    first = score_comment.delay(comment.pk)
    second = score_comment.delay(comment.pk)

    celery_worker.wait_for_task(first.id, since=since)
    celery_worker.wait_for_task(second.id, since=since)
    comment.refresh_from_db()
    assert comment.status != CommentStatus.PENDING
    assert ModerationEvent.objects.filter(comment=comment).count() == 1


def test_it_follows_a_newly_activated_model_without_a_restart(
    celery_worker: CeleryWorker, trained: Any, artifact: bytes, active_classifier: Any
) -> None:
    article, author = make_article(), make_user("rita")
    first = make_comment(article=article, author=author, body="First comment.")
    since = celery_worker.mark()
    celery_worker.wait_for_task(score_comment.delay(first.pk).id, since=since)
    first.refresh_from_db()
    assert first.model_version_id == active_classifier.pk

    newer = save_classifier_version(trained=trained, artifact=artifact, activate=True)
    second = make_comment(article=article, author=author, body="Second comment.")
    since = celery_worker.mark()
    celery_worker.wait_for_task(score_comment.delay(second.pk).id, since=since)
    second.refresh_from_db()
    assert newer.version == active_classifier.version + 1
    assert second.model_version_id == newer.pk
    assert f"loaded classifier v{newer.version}" in celery_worker.log(since)
