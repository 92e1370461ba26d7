"""In Chromium: a reply rings the parent's author's bell; a rejected comment is appealed, a
moderator overturns it, and its author sees it published. Every new page passes axe (WCAG 2.1
AA) at desktop width and at 375 px."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts import services
from comments.models import CommentStatus, ModerationEvent
from tests.browser.axe import assert_accessible
from tests.browser.conftest import sign_in
from tests.factories import (
    PASSWORD,
    make_article,
    make_comment,
    make_moderator,
    make_user,
    publish_as_scored,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


def audit(page: Page) -> None:
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        assert_accessible(page)
    page.set_viewport_size(DESKTOP)


def test_a_reply_rings_the_parents_authors_bell(
    new_page: Callable[[], Page], live_server: Any
) -> None:
    rita = make_user("rita")
    parent = make_comment(article=make_article(), author=rita, status=CommentStatus.PUBLISHED)
    reply = make_comment(article=parent.article, author=make_user("otto"), parent=parent)
    publish_as_scored(reply)
    ModerationEvent.objects.update(created_at=timezone.now() - timedelta(seconds=5))
    services.dispatch_notifications()  # what the beat task runs every 2 s

    page = new_page()
    sign_in(page, live_server.url, "rita", PASSWORD, "/")
    bell = page.get_by_role("link", name="Notifications 1 unread")
    expect(bell).to_be_visible()
    bell.click()
    expect(page.get_by_text("otto replied to your comment")).to_be_visible()
    audit(page)
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("link", name="Notifications", exact=True)).to_be_visible()


def test_a_rejected_comment_is_appealed_overturned_and_published(
    new_page: Callable[[], Page], live_server: Any
) -> None:
    make_moderator("mona")
    rita = make_user("rita")
    comment = make_comment(
        article=make_article(),
        author=rita,
        body="The minister is a liar, and here is the proof.",
        status=CommentStatus.REJECTED,
        reason_codes=["toxicity_over_reject"],
        scores={"toxicity": 0.96, "spam": 0.01},
    )
    path = comment.article.get_absolute_url()

    author = new_page()
    sign_in(author, live_server.url, "rita", PASSWORD, path)
    expect(author.get_by_text("Not published because it very likely contains")).to_be_visible()
    audit(author)
    author.get_by_role("link", name="Appeal this decision").click()
    audit(author)
    author.get_by_label("Why should a moderator look again?").fill("It is a quote from the record.")
    author.get_by_role("button", name="Send the appeal").click()
    expect(author.get_by_text("a moderator will look at your appeal")).to_be_visible()
    expect(author.get_by_text("Your appeal: waiting for a moderator.")).to_be_visible()

    moderator = new_page()
    sign_in(moderator, live_server.url, "mona", PASSWORD, "/moderation/appeals/")
    expect(moderator.get_by_text("It is a quote from the record.")).to_be_visible()
    audit(moderator)
    moderator.get_by_role("button", name="Overturn and publish").click()
    expect(moderator.get_by_text("Overturned: the comment is published.")).to_be_visible()
    expect(moderator.get_by_text("No appeals are waiting.")).to_be_visible()

    author.goto(f"{live_server.url}{path}")
    published = author.locator(f"ol.comment-list #comment-{comment.pk}")
    expect(published).to_contain_text("here is the proof")
    expect(published.get_by_text("Published")).to_be_visible()
    expect(author.get_by_role("link", name="Notifications 1 unread")).to_be_visible()
    author.get_by_role("link", name="Notifications 1 unread").click()
    expect(author.get_by_text("Your appeal succeeded")).to_be_visible()


def test_the_profile_and_account_pages_pass_axe(
    new_page: Callable[[], Page], live_server: Any
) -> None:
    rita = make_user("rita")
    make_comment(
        article=make_article(),
        author=rita,
        status=CommentStatus.HELD,
        reason_codes=["contains_link"],
    )
    page = new_page()
    sign_in(page, live_server.url, "rita", PASSWORD, "/accounts/profile/")
    expect(page.get_by_text("Held because it contains a link")).to_be_visible()
    audit(page)
    for path in ("/accounts/notifications/", "/accounts/profile/delete/"):
        page.goto(f"{live_server.url}{path}")
        audit(page)
    token = services.unsubscribe_token(user_id=rita.pk, kind="reply")
    page.goto(f"{live_server.url}/accounts/unsubscribe/{token}/")
    audit(page)
    page.get_by_role("button", name="Stop these emails").click()
    expect(page.get_by_text("we will no longer email you")).to_be_visible()
    audit(page)
