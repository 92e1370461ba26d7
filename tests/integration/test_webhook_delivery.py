"""A real Celery worker dispatches the outbox and delivers signed webhooks, retrying a failure."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from comments.models import Comment
from integrations import services, webhooks
from integrations.models import DeliveryStatus, WebhookDelivery, WebhookEvent
from integrations.tasks import dispatch_webhooks
from tests.factories import make_article, make_user
from tests.integrations.webhook_receiver import webhook_receiver
from tests.workers import CeleryWorker

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_worker_delivers_a_posted_comment_events_and_retries_a_failed_one(
    client: Client, celery_worker: CeleryWorker, active_classifier: Any
) -> None:
    article = make_article()
    client.force_login(make_user("rita"))
    services.record_webhook_deliveries()  # the dispatcher has been running: cursors at the end
    # The first answer fails: that delivery must be retried and then succeed.
    with webhook_receiver(statuses=[500, 200]) as receiver:
        hook = services.create_webhook_endpoint(
            url=receiver.url, events=[event.value for event in WebhookEvent], created_by=None
        )
        since = celery_worker.mark()
        client.post(reverse("comments:post", kwargs={"slug": article.slug}), {"body": "Nice."})
        comment = Comment.objects.get()
        celery_worker.wait_for(
            rf"comment {comment.pk} (published|held|rejected) by model", since=since
        )

        dispatch_webhooks.delay()
        first_two = receiver.wait_for(2)
        assert len(first_two) == 2, celery_worker.log(since)
        celery_worker.wait_for(r"webhook delivery \d+ .* attempt 1: HTTP 500", since=since)
        failed = WebhookDelivery.objects.get(attempts=1, status=DeliveryStatus.PENDING)
        assert failed.last_status_code == 500
        # The backoff has passed (rather than waiting it out): the next dispatch retries it.
        WebhookDelivery.objects.filter(pk=failed.pk).update(next_attempt_at=timezone.now())
        dispatch_webhooks.delay()
        everything = receiver.wait_for(3)
        celery_worker.wait_for(
            rf"webhook delivery {failed.pk} .* attempt 2: delivered", since=since
        )

    assert len(everything) == 3
    deliveries = WebhookDelivery.objects.filter(endpoint=hook)
    assert {row.event for row in deliveries} == {
        WebhookEvent.COMMENT_CREATED,
        webhooks.STATUS_EVENTS[Comment.objects.get().status],
    }
    assert all(row.status == DeliveryStatus.DELIVERED for row in deliveries)
    for request in everything:
        assert webhooks.verify(
            secret=hook.secret, body=request.body, header=request.headers["Newsroom-Signature"]
        )
        assert json.loads(request.body)["data"]["comment"]["id"] == comment.pk
