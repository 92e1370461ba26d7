"""Readers' accounts in Chromium: sign up, confirm the address by the emailed link and post;
reset a forgotten password; every account page passes axe at desktop and phone width."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from playwright.sync_api import Page, expect
from pytest_django import Settings

from accounts import delivery
from accounts.models import OutgoingEmail
from comments.models import Comment
from tests.browser.axe import assert_accessible
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, make_article, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


def send_outbox() -> list[Any]:
    """Send the stored emails as the worker does (the live server shares this process's locmem)."""
    for pk in OutgoingEmail.objects.unsent().values_list("pk", flat=True):
        delivery.deliver(email_id=pk)
    return list(mail.outbox)


def link_in(message: Any) -> str:
    found = re.search(r"https?://\S+", message.body)
    assert found, message.body
    return found.group(0)


def audit(page: Page) -> None:
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        assert_accessible(page)


def test_a_reader_signs_up_confirms_by_the_link_and_posts(
    new_page: Callable[[], Page], live_server: Any, settings: Settings
) -> None:
    settings.SIGNUP_MIN_FILL_SECONDS = 0
    article = make_article()
    path = article.get_absolute_url()
    page = new_page()
    page.goto(f"{live_server.url}/accounts/signup/?next={path}")
    audit(page)
    page.get_by_label("Username").fill("newreader")
    page.get_by_label("Email").fill("newreader@example.org")
    page.get_by_label("Password", exact=True).fill("a-long-unusual-pass-42")
    page.get_by_label("Password (again)").fill("a-long-unusual-pass-42")
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(re.escape(path)))
    expect(page.get_by_text("Confirm your email address to post")).to_be_visible()

    [message] = send_outbox()
    page.goto(link_in(message))
    audit(page)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_load_state("load")
    assert EmailAddress.objects.get(email="newreader@example.org").verified

    page.goto(f"{live_server.url}{path}")
    page.wait_for_load_state("load")
    page.get_by_role("textbox", name="Your comment").fill("Glad to be here.")
    page.get_by_role("button", name="Post comment").click()
    expect(
        page.locator(".comment--pending, .comment--published, .comment--held").first
    ).to_be_visible()
    assert Comment.objects.get().author.username == "newreader"


def test_a_reader_resets_a_forgotten_password(
    new_page: Callable[[], Page], live_server: Any
) -> None:
    user = make_user("rita", email="rita@example.org")
    EmailAddress.objects.create(user=user, email="rita@example.org", verified=True, primary=True)
    page = new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    audit(page)
    page.get_by_role("link", name="Forgotten your password?").click()
    audit(page)
    page.get_by_label("Email").fill("rita@example.org")
    page.get_by_role("button", name=re.compile("Reset", re.I)).click()
    page.wait_for_load_state("load")
    audit(page)

    [message] = send_outbox()
    page.goto(link_in(message))
    page.wait_for_load_state("load")
    audit(page)
    page.get_by_label("New Password", exact=True).fill("a-brand-new-pass-77")
    page.get_by_label("New Password (again)").fill("a-brand-new-pass-77")
    page.get_by_role("button", name=re.compile("Change Password", re.I)).click()
    page.wait_for_load_state("load")
    audit(page)

    sign_in(page, live_server.url, "rita", "a-brand-new-pass-77", "/")


def test_the_account_pages_pass_axe(new_page: Callable[[], Page], live_server: Any) -> None:
    user = make_user("rita", email="rita@example.org")
    EmailAddress.objects.create(user=user, email="rita@example.org", verified=True, primary=True)
    page = new_page()
    sign_in(page, live_server.url, "rita", PASSWORD, "/accounts/email/")
    for path in ("/accounts/email/", "/accounts/password/change/", "/accounts/sessions/"):
        page.goto(f"{live_server.url}{path}")
        audit(page)
