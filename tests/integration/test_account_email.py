"""Email from a real Celery worker: the sign-up confirmation sent after commit and followed by
its link, and a published reply's notification dispatched from the event outbox.

The worker runs Django's console email backend (the development default): what it sends is
written to its output, which the test reads, exactly as a reader's mail client would get it.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import tasks
from accounts.forms import started_token
from accounts.models import OutgoingEmail
from comments.models import CommentStatus, ModerationEvent
from tests.factories import make_article, make_comment, make_user, publish_as_scored
from tests.workers import CeleryWorker

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_the_worker_sends_the_confirmation_and_its_link_confirms(
    client: Client, celery_worker: CeleryWorker
) -> None:
    since = celery_worker.mark()
    response = client.post(
        reverse("signup"),
        {
            "username": "newreader",
            "email": "newreader@example.org",
            "password1": "a-long-unusual-pass-42",
            "password2": "a-long-unusual-pass-42",
            "started": started_token(time.time() - 60),
        },
    )
    assert response.status_code == 302
    celery_worker.wait_for(r"http://testserver/accounts/confirm-email/\S+", since=since)
    log = celery_worker.log(since)
    link = re.findall(r"http://testserver(/accounts/confirm-email/\S+)", log)[-1]
    assert "To: newreader@example.org" in log
    assert client.post(link).status_code == 302
    assert EmailAddress.objects.get(email="newreader@example.org").verified
    assert OutgoingEmail.objects.get().sent_at is not None


def test_a_published_reply_reaches_the_parents_author_by_email(
    celery_worker: CeleryWorker,
) -> None:
    rita = make_user("rita")
    EmailAddress.objects.create(user=rita, email="rita@example.org", verified=True, primary=True)
    parent = make_comment(article=make_article(), author=rita, status=CommentStatus.PUBLISHED)
    reply = make_comment(article=parent.article, author=make_user("otto"), parent=parent)
    publish_as_scored(reply)
    ModerationEvent.objects.update(created_at=timezone.now() - timedelta(seconds=5))
    since = celery_worker.mark()
    tasks.dispatch_notifications.apply_async(retry=False)  # what beat does every 2 s
    celery_worker.wait_for(r"List-Unsubscribe-Post: List-Unsubscribe=One-Click", since=since)
    log = celery_worker.log(since)
    assert "To: rita@example.org" in log and "otto replied to your comment" in log
    celery_worker.wait_for(r"accounts\.tasks\.send_email\[\S+\] succeeded", since=since)
    assert OutgoingEmail.objects.get(key=f"notification:reply:{reply.pk}").sent_at is not None
