"""Readers' account flows on django-allauth: sign-up with a confirmed address, posting before and
after confirming, password reset, email change and other sessions; every email leaves through
the outbox and is sent by accounts.mail.deliver (what the Celery task runs)."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from pytest_django import Settings

from accounts import delivery
from accounts.forms import started_token
from accounts.models import OutgoingEmail
from comments.forms import UNVERIFIED
from comments.models import Comment
from tests.factories import PASSWORD, make_article, make_user

pytestmark = pytest.mark.django_db

SIGNUP = {
    "username": "newreader",
    "email": "newreader@example.org",
    "password1": "a-long-unusual-pass-42",
    "password2": "a-long-unusual-pass-42",
    "started": started_token(time.time() - 60),
}


def send_outbox() -> list[Any]:
    """Send every stored email as the worker would; return what the locmem backend received."""
    for pk in OutgoingEmail.objects.unsent().values_list("pk", flat=True):
        delivery.deliver(email_id=pk)
    return list(mail.outbox)


def can_sign_in(username: str, password: str) -> bool:
    response = Client().post(reverse("login"), {"login": username, "password": password})
    return response.status_code == 302


def link_in(message: Any) -> str:
    found = re.search(r"https?://testserver(/\S+)", message.body)
    assert found, message.body
    return found.group(1)


def test_it_signs_up_stores_the_confirmation_email_and_confirms_by_its_link(client: Client) -> None:
    response = client.post(reverse("signup"), SIGNUP)
    assert response.status_code == 302
    assert mail.outbox == []  # nothing is sent in the request: a worker sends it
    email = OutgoingEmail.objects.get()
    assert email.to == "newreader@example.org" and email.sent_at is None

    [message] = send_outbox()
    assert message.to == ["newreader@example.org"]
    assert "Confirm" in message.subject or "confirm" in message.body.lower()
    confirm = link_in(message)
    page = client.get(confirm)
    assert page.status_code == 200 and "newreader@example.org" in page.content.decode()
    assert client.post(confirm).status_code == 302
    assert EmailAddress.objects.get(email="newreader@example.org").verified


def test_a_bad_confirmation_key_confirms_nothing(client: Client) -> None:
    client.post(reverse("signup"), SIGNUP)
    response = client.post("/accounts/confirm-email/not-a-real-key/")
    assert response.status_code in (200, 404)
    assert not EmailAddress.objects.get(email="newreader@example.org").verified


def test_it_refuses_an_address_already_in_use(client: Client) -> None:
    client.post(reverse("signup"), SIGNUP)
    other = {**SIGNUP, "username": "someoneelse"}
    response = Client().post(reverse("signup"), other)
    assert response.status_code == 400
    assert get_user_model().objects.filter(username="someoneelse").count() == 0


def test_a_reader_posts_only_once_their_address_is_confirmed(client: Client) -> None:
    article = make_article()
    client.post(reverse("signup"), SIGNUP)
    post = reverse("comments:post", kwargs={"slug": article.slug})

    page = client.get(article.get_absolute_url()).content.decode()
    assert "Confirm your email address to post" in page
    response = client.post(post, {"body": "First!"})
    assert response.status_code == 400 and escape(UNVERIFIED) in response.content.decode()
    assert Comment.objects.count() == 0

    client.post(link_in(send_outbox()[0]))
    assert client.post(post, {"body": "First!"}).status_code == 302
    assert Comment.objects.count() == 1


def test_a_setting_lets_readers_post_before_confirming(client: Client, settings: Settings) -> None:
    settings.ACCOUNTS_POST_BEFORE_VERIFIED = True
    article = make_article()
    client.post(reverse("signup"), SIGNUP)
    post = reverse("comments:post", kwargs={"slug": article.slug})
    assert client.post(post, {"body": "First!"}).status_code == 302


def test_accounts_without_an_address_post_as_before(client: Client) -> None:
    article = make_article()
    client.force_login(make_user("demo"))
    post = reverse("comments:post", kwargs={"slug": article.slug})
    assert client.post(post, {"body": "Hello"}).status_code == 302


def test_it_resets_a_forgotten_password_by_the_emailed_link(client: Client) -> None:
    user = make_user("rita", email="rita@example.org")
    EmailAddress.objects.create(user=user, email="rita@example.org", verified=True, primary=True)
    response = client.post(reverse("account_reset_password"), {"email": "rita@example.org"})
    assert response.status_code == 302
    [message] = send_outbox()
    reset = client.get(link_in(message), follow=True)
    assert reset.status_code == 200
    form_url = reset.redirect_chain[-1][0] if reset.redirect_chain else link_in(message)
    done = client.post(
        form_url, {"password1": "a-brand-new-pass-77", "password2": "a-brand-new-pass-77"}
    )
    assert done.status_code == 302
    assert can_sign_in("rita", "a-brand-new-pass-77")
    assert not can_sign_in("rita", PASSWORD)


def test_a_reset_for_an_unknown_address_sends_no_link(client: Client) -> None:
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})
    assert response.status_code == 302  # the same answer: no account enumeration
    assert all("/password/reset/key/" not in m.body for m in send_outbox())


def test_it_changes_the_password_and_requires_the_old_one(client: Client) -> None:
    client.force_login(make_user("rita"))
    url = reverse("account_change_password")
    wrong = client.post(
        url,
        {"oldpassword": "nope", "password1": "new-pass-abc-123", "password2": "new-pass-abc-123"},
    )
    assert (
        wrong.status_code == 200 and "Please type your current password." in wrong.content.decode()
    )
    ok = client.post(
        url,
        {"oldpassword": PASSWORD, "password1": "new-pass-abc-123", "password2": "new-pass-abc-123"},
    )
    assert ok.status_code == 302
    assert can_sign_in("rita", "new-pass-abc-123")


def test_it_changes_the_address_once_the_new_one_is_confirmed(client: Client) -> None:
    user = make_user("rita", email="rita@example.org")
    EmailAddress.objects.create(user=user, email="rita@example.org", verified=True, primary=True)
    client.force_login(user)
    response = client.post(reverse("account_email"), {"action_add": "", "email": "new@example.org"})
    assert response.status_code == 302
    [message] = send_outbox()
    assert message.to == ["new@example.org"]
    client.post(link_in(message))
    assert list(EmailAddress.objects.filter(user=user).values_list("email", "verified")) == [
        ("new@example.org", True)
    ]


def test_account_pages_need_a_signed_in_reader(client: Client) -> None:
    for name in ("account_email", "account_change_password", "usersessions_list"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_it_signs_out_the_other_sessions(client: Client) -> None:
    make_user("rita")
    phone, laptop = Client(), Client()
    for c in (phone, laptop):
        assert c.post(reverse("login"), {"login": "rita", "password": PASSWORD}).status_code == 302
    page = laptop.get(reverse("usersessions_list")).content.decode()
    assert "Sign Out Other Sessions" in page
    assert laptop.post(reverse("usersessions_list")).status_code == 302
    assert "_auth_user_id" in laptop.session
    assert phone.get(reverse("account_email")).status_code == 302  # signed out


def test_it_signs_in_with_the_email_address_too(client: Client) -> None:
    user = make_user("rita", email="rita@example.org")
    EmailAddress.objects.create(user=user, email="rita@example.org", verified=True, primary=True)
    response = client.post(reverse("login"), {"login": "rita@example.org", "password": PASSWORD})
    assert response.status_code == 302 and int(client.session["_auth_user_id"]) == user.pk
