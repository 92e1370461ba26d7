"""The email outbox: stored once per key, sent once, and sent later when the broker was down."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.test import TestCase
from django.utils import timezone

from accounts import broker, delivery, services, tasks
from accounts.models import OutgoingEmail

pytestmark = pytest.mark.django_db


def message(subject: str = "Hello") -> EmailMessage:
    return EmailMessage(subject, "Body", to=["rita@example.org"], headers={"X-Test": "1"})


def test_it_stores_one_row_per_key_and_sends_it_once() -> None:
    first = services.queue_email(message=message(), key="reply:1")
    again = services.queue_email(message=message("Other"), key="reply:1")
    assert first.pk == again.pk and OutgoingEmail.objects.count() == 1
    assert delivery.deliver(email_id=first.pk) is True
    # A redelivered task: nothing more is sent.
    assert delivery.deliver(email_id=first.pk) is False
    tasks.send_email(first.pk)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Hello" and mail.outbox[0].extra_headers["X-Test"] == "1"
    first.refresh_from_db()
    assert first.sent_at is not None and first.attempts == 1


def test_a_copy_sent_again_after_a_worker_died_keeps_the_same_message_id() -> None:
    # The one window of at-least-once: sent, then the worker dies before stamping sent_at.
    email = services.queue_email(message=message(), key="reply:2")
    assert delivery.deliver(email_id=email.pk) is True
    stale = timezone.now() - timedelta(seconds=delivery.EMAIL_CLAIM_SECONDS + 1)
    OutgoingEmail.objects.filter(pk=email.pk).update(sent_at=None, claimed_at=stale)
    assert delivery.deliver(email_id=email.pk) is True
    first, second = (m.message()["Message-ID"] for m in mail.outbox)
    assert first == second == delivery.message_id(email)
    assert first.startswith(f"<newsroom.{email.pk}.") and first.endswith("@localhost>")
    other = services.queue_email(message=message(), key="reply:3")
    assert delivery.message_id(other) != first


def test_it_enqueues_only_after_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    enqueued: list[int] = []
    monkeypatch.setattr(broker, "enqueue_email", lambda *, email_id: enqueued.append(email_id))
    with TestCase.captureOnCommitCallbacks(execute=False) as callbacks:
        email = services.queue_email(message=message())
        assert enqueued == []
    for callback in callbacks:
        callback()
    assert enqueued == [email.pk]


def test_a_worker_skips_an_email_another_is_sending() -> None:
    email = services.queue_email(message=message())
    OutgoingEmail.objects.filter(pk=email.pk).update(claimed_at=timezone.now())
    assert delivery.deliver(email_id=email.pk) is False
    assert mail.outbox == []


def test_the_sweep_sends_what_was_never_enqueued_and_retries_failures(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    email = services.queue_email(message=message())
    assert delivery.deliver_stragglers() == 0  # too fresh: its task may still be on the way
    OutgoingEmail.objects.update(created_at=timezone.now() - timedelta(minutes=5))

    def refuse(*args: object, **kwargs: object) -> int:
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(mail.backends.locmem.EmailBackend, "send_messages", refuse)
    assert delivery.deliver_stragglers() == 0
    email.refresh_from_db()
    assert (
        email.sent_at is None
        and email.claimed_at is None
        and "mail server down" in email.last_error
    )
    monkeypatch.undo()
    assert tasks.send_unsent_emails() == 1
    assert len(mail.outbox) == 1


def test_enqueueing_with_the_broker_down_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    def down(*args: object, **kwargs: object) -> None:
        raise OSError("broker down")

    monkeypatch.setattr(broker.current_app, "send_task", down)
    assert broker.enqueue_email(email_id=1) is False
