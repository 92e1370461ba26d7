"""Download my data and delete my account: one's own data only, password required, audited,
comments kept as "deleted user" or removed by the setting, nothing else left behind."""

from __future__ import annotations

import json
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from pytest_django import Settings

from accounts import services
from accounts.models import Notification, NotificationPreference
from comments.models import Comment, EventAction, ModerationEvent, Report
from tests.factories import PASSWORD, make_article, make_comment, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def rita() -> Any:
    user = make_user("rita", email="rita@example.org")
    EmailAddress.objects.create(user=user, email="rita@example.org", verified=True, primary=True)
    user.first_name = "Rita R."
    user.save(update_fields=["first_name"])
    article = make_article()
    make_comment(article=article, author=user, body="Rita's comment", status="published")
    other = make_comment(
        article=article, author=make_user("otto"), body="Otto's", status="published"
    )
    Report.objects.create(comment=other, reporter=user, reason="spam", note="ads")
    services.notify(recipient_id=user.pk, kind="reply", text="Otto replied", key="k1")
    services.set_email_frequency(user=user, kind="reply", frequency="daily")
    return user


def test_it_downloads_the_readers_own_data_as_json(client: Client, rita: Any) -> None:
    client.force_login(rita)
    response = client.get(reverse("accounts:export"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["account"]["username"] == "rita" and data["account"]["display_name"] == "Rita R."
    assert data["account"]["email_addresses"][0]["email"] == "rita@example.org"
    assert [c["body"] for c in data["comments"]] == ["Rita's comment"]
    assert data["reports"][0]["note"] == "ads"
    assert data["notifications"][0]["text"] == "Otto replied"
    assert data["notification_settings"] == {"reply": "daily"}
    assert "Otto's" not in response.content.decode()


def test_the_export_is_only_ever_ones_own(client: Client, rita: Any) -> None:
    assert client.get(reverse("accounts:export")).status_code == 302  # signed out
    client.force_login(get_user_model().objects.get(username="otto"))
    data = json.loads(client.get(reverse("accounts:export")).content)
    assert data["account"]["username"] == "otto" and data["notifications"] == []
    assert data["reports"] == []


def test_deleting_needs_the_password(client: Client, rita: Any) -> None:
    client.force_login(rita)
    assert client.get(reverse("accounts:delete")).status_code == 200
    wrong = client.post(reverse("accounts:delete"), {"password": "guess"})
    assert wrong.status_code == 400 and get_user_model().objects.filter(pk=rita.pk).exists()


def test_deleting_keeps_comments_as_deleted_user_and_leaves_nothing_else(
    client: Client, rita: Any
) -> None:
    client.force_login(rita)
    response = client.post(reverse("accounts:delete"), {"password": PASSWORD})
    assert response.status_code == 302 and "_auth_user_id" not in client.session
    assert not get_user_model().objects.filter(username="rita").exists()
    kept = Comment.objects.get(body="Rita's comment")
    assert kept.author.username == services.DELETED_USERNAME and not kept.author.is_active
    assert not EmailAddress.objects.filter(email="rita@example.org").exists()
    assert Notification.objects.count() == 0 and NotificationPreference.objects.count() == 0
    assert Report.objects.count() == 0
    assert not get_user_model().objects.filter(first_name="Rita R.").exists()
    event = ModerationEvent.objects.get(action=EventAction.ACCOUNT_DELETED)
    assert f"Account #{rita.pk} deleted" in event.note and "1 comments kept" in event.note


def test_a_setting_removes_the_comments_with_the_account(
    client: Client, rita: Any, settings: Settings
) -> None:
    settings.ACCOUNTS_DELETED_COMMENTS = "remove"
    client.force_login(rita)
    client.post(reverse("accounts:delete"), {"password": PASSWORD})
    assert not Comment.objects.filter(body="Rita's comment").exists()
    assert Comment.objects.filter(body="Otto's").exists()
    assert "1 removed" in ModerationEvent.objects.get(action=EventAction.ACCOUNT_DELETED).note
