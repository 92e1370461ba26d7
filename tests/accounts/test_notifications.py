"""Notifications: from the moderation-event outbox to the bell and, per preference, email;
idempotent, private to their reader, with a signed one-click unsubscribe."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import Settings

from accounts import delivery, services, tasks
from accounts.models import (
    EmailFrequency,
    Notification,
    NotificationKind,
    NotificationPreference,
    OutgoingEmail,
)
from comments.models import CommentStatus, ModerationEvent
from tests.factories import make_article, make_comment, make_user, publish_as_scored

pytestmark = pytest.mark.django_db


def reader(name: str) -> Any:
    user = make_user(name, email=f"{name}@example.org")
    EmailAddress.objects.create(user=user, email=f"{name}@example.org", verified=True, primary=True)
    return user


def publish(comment: Any, from_status: str = CommentStatus.PENDING) -> ModerationEvent:
    event = publish_as_scored(comment)
    if from_status != CommentStatus.PENDING:
        ModerationEvent.objects.filter(pk=event.pk).update(from_status=from_status)
    return event


def dispatch() -> int:
    # Past the dispatch lag: every event so far is old enough.
    ModerationEvent.objects.update(created_at=timezone.now() - timedelta(seconds=5))
    return services.dispatch_notifications()


def send_all() -> list[Any]:
    for pk in OutgoingEmail.objects.unsent().values_list("pk", flat=True):
        delivery.deliver(email_id=pk)
    return list(mail.outbox)


def test_a_published_reply_notifies_the_parents_author_once_by_bell_and_email() -> None:
    rita, otto = reader("rita"), reader("otto")
    parent = make_comment(article=make_article(), author=rita, status="published")
    reply = make_comment(article=parent.article, author=otto, parent=parent)
    publish(reply)
    assert dispatch() == 1
    note = Notification.objects.get()
    assert (note.recipient, note.kind, note.comment) == (rita, NotificationKind.REPLY, reply)
    assert "otto replied to your comment" in note.text
    [message] = send_all()
    assert message.to == ["rita@example.org"]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/accounts/unsubscribe/" in message.extra_headers["List-Unsubscribe"]
    # The same event again (a second dispatch, a redelivered task): nothing more.
    from accounts.models import DispatchCursor

    DispatchCursor.objects.update(last_event_id=0)
    assert dispatch() == 0
    assert len(send_all()) == 1 and Notification.objects.count() == 1


def test_a_reply_to_oneself_notifies_nobody() -> None:
    rita = reader("rita")
    parent = make_comment(article=make_article(), author=rita, status="published")
    publish(make_comment(article=parent.article, author=rita, parent=parent))
    assert dispatch() == 0


def test_a_held_comment_decided_notifies_its_author() -> None:
    rita = reader("rita")
    held = make_comment(article=make_article(), author=rita, status=CommentStatus.HELD)
    publish(held, from_status=CommentStatus.HELD)
    dispatch()
    assert Notification.objects.get().kind == NotificationKind.DECIDED
    assert "is published" in Notification.objects.get().text


def test_events_younger_than_the_lag_wait_for_the_next_pass() -> None:
    rita, otto = reader("rita"), reader("otto")
    parent = make_comment(article=make_article(), author=rita, status="published")
    publish(make_comment(article=parent.article, author=otto, parent=parent))
    assert services.dispatch_notifications() == 0
    assert dispatch() == 1


def test_preferences_never_and_daily_digest(settings: Settings) -> None:
    rita, otto = reader("rita"), reader("otto")
    services.set_email_frequency(user=rita, kind=NotificationKind.REPLY, frequency="never")
    parent = make_comment(article=make_article(), author=rita, status="published")
    publish(make_comment(article=parent.article, author=otto, parent=parent))
    dispatch()
    assert Notification.objects.count() == 1 and send_all() == []

    services.set_email_frequency(user=rita, kind=NotificationKind.REPLY, frequency="daily")
    publish(make_comment(article=parent.article, author=otto, parent=parent, body="Second"))
    dispatch()
    assert send_all() == []
    assert tasks.send_daily_digests() == 1
    [digest] = send_all()
    assert "daily digest" in digest.subject and digest.body.count("otto replied") == 2
    assert tasks.send_daily_digests() == 0


def test_the_bell_counts_unread_and_the_list_is_private(client: Client) -> None:
    rita, otto = reader("rita"), reader("otto")
    services.notify(recipient_id=rita.pk, kind="reply", text="Hello rita", key="k1")
    client.force_login(otto)
    page = client.get(reverse("accounts:notifications")).content.decode()
    assert "Hello rita" not in page
    client.force_login(rita)
    assert 'class="bell__count">1' in client.get("/").content.decode()
    assert "Hello rita" in client.get(reverse("accounts:notifications")).content.decode()
    assert 'class="bell__count"' not in client.get("/").content.decode()  # read once listed
    assert Client().get(reverse("accounts:notifications")).status_code == 302


def test_one_click_unsubscribe_with_a_signed_token_only() -> None:
    rita = reader("rita")
    token = services.unsubscribe_token(user_id=rita.pk, kind="reply")
    url = reverse("accounts:unsubscribe", args=[token])
    assert Client(enforce_csrf_checks=True).get(url).status_code == 200
    # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click", without a session or CSRF.
    response = Client(enforce_csrf_checks=True).post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert NotificationPreference.objects.get(user=rita).frequency == EmailFrequency.NEVER
    forged = reverse("accounts:unsubscribe", args=[token[:-2] + "xx"])
    assert Client().post(forged).status_code == 400


def test_the_profile_saves_a_display_name_and_settings_and_refuses_bad_input(
    client: Client,
) -> None:
    rita = reader("rita")
    client.force_login(rita)
    url = reverse("accounts:profile")
    assert client.post(url, {"save_profile": "", "display_name": "Rita R."}).status_code == 302
    rita.refresh_from_db()
    assert rita.first_name == "Rita R."
    bad = client.post(url, {"save_profile": "", "display_name": "x" * 61})
    assert bad.status_code == 400
    posing = client.post(url, {"save_profile": "", "display_name": "Deleted user"})
    assert posing.status_code == 400 and "marks deleted accounts" in posing.content.decode()
    rita.refresh_from_db()
    assert rita.first_name == "Rita R."
    choices = {kind: "daily" for kind in NotificationKind.values}
    assert client.post(url, {"save_notifications": "", **choices}).status_code == 302
    assert set(NotificationPreference.objects.values_list("frequency", flat=True)) == {"daily"}
    wrong = client.post(url, {"save_notifications": "", **choices, "reply": "hourly"})
    assert wrong.status_code == 400
    assert Client().get(url).status_code == 302


def test_the_profile_lists_own_comments_with_state_and_reason(client: Client) -> None:
    rita = reader("rita")
    make_comment(
        article=make_article(),
        author=rita,
        body="My held one",
        status=CommentStatus.HELD,
        reason_codes=["spam_uncertain"],
    )
    make_comment(article=make_article(slug="other"), author=reader("otto"), body="Not mine")
    client.force_login(rita)
    html = client.get(reverse("accounts:profile")).content.decode()
    assert "My held one" in html and "Held because it may be advertising or spam" in html
    assert "Not mine" not in html


def test_moderators_are_alerted_once_per_oldest_held_comment(settings: Settings) -> None:
    settings.MODERATION_ALERT_EMAILS = ["desk@example.org"]
    settings.MODERATION_WAIT_ALERT_SECONDS = 60
    make_comment(
        article=make_article(),
        author=reader("rita"),
        status=CommentStatus.HELD,
        created_at=timezone.now() - timedelta(minutes=5),
    )
    assert tasks.alert_moderators() is True
    assert tasks.alert_moderators() is False
    [alert] = send_all()
    assert alert.to == ["desk@example.org"] and "waited 5 minutes" in alert.body
