"""In Chromium: a ban from the author drawer stops the author posting; a reader's report brings a
published comment into the Reported queue."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings
from playwright.sync_api import Page, expect

from articles.models import Article
from comments.models import AuthorStanding, Comment, EventAction, ModerationEvent, Report
from tests.browser.conftest import sign_in
from tests.factories import make_comment, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def article(transactional_db: None) -> Article:
    """The demo article and accounts (reader / moderator)."""
    # load_demo refuses to create accounts with known passwords when DEBUG is off, as in tests.
    with override_settings(DEBUG=True):
        call_command("load_demo", stdout=StringIO())
    return Article.objects.get()


def test_it_bans_an_author_from_the_drawer_and_the_author_can_no_longer_post(
    live_server: Any, new_page: Callable[[], Page], article: Article
) -> None:
    reader_user = Comment._meta.get_field("author").related_model.objects.get(username="reader")
    held = make_comment(
        article=article, author=reader_user, body="Buy followers at my site", status="held"
    )

    # The reader has the article open, form and all, before the ban.
    reader = new_page()
    sign_in(reader, live_server.url, "reader", "reader-dev-pass", article.get_absolute_url())

    moderator = new_page()
    sign_in(moderator, live_server.url, "moderator", "moderator-dev-pass", "/moderation/")
    moderator.evaluate("window.__marker = 1")
    card = moderator.locator(f"#queue-comment-{held.pk}")
    card.get_by_role("link", name="reader").click()
    drawer = moderator.locator("#drawer")
    expect(drawer.get_by_role("heading", name="reader")).to_be_visible()
    drawer.get_by_label("Reason (shown to the author)").fill("Spam links")
    drawer.get_by_label("Also reject all their comments, published ones included").check()
    drawer.get_by_role("button", name="Ban reader").click()
    # A ban asks to be confirmed first: the browser holds the form until the box is ticked
    # (and the server refuses it without, as the view tests show).
    confirm = drawer.get_by_label("Yes, ban this author: they cannot post again until reinstated")
    assert confirm.evaluate("box => box.validity.valueMissing") is True
    assert not AuthorStanding.objects.filter(author=reader_user, banned_at__isnull=False).exists()
    expect(moderator.locator("#count-held")).to_have_text("1")
    confirm.check()
    drawer.get_by_role("button", name="Ban reader").click()
    expect(drawer.get_by_role("status")).to_have_text("reader is banned. 1 comment rejected.")
    # The button the moderator pressed was swapped away: focus moves to what happened.
    expect(drawer.get_by_text("reader is banned.")).to_be_focused()
    expect(drawer.locator(".standing")).to_contain_text("Banned")
    # The queue beside the drawer follows at once: the card the ban rejected goes, the counts
    # change, and nothing says that someone else decided it.
    expect(card).to_have_count(0)
    expect(moderator.locator("#count-held")).to_have_text("0")
    expect(moderator.locator("#count-rejected")).to_have_text("1")
    expect(moderator.locator("#queue-live")).not_to_contain_text("someone else")
    # A banned author can be reinstated, not banned or suspended again.
    expect(drawer.get_by_role("button", name="Reinstate")).to_be_visible()
    expect(drawer.get_by_role("button", name="Ban reader")).to_have_count(0)
    expect(drawer.get_by_role("button", name="Suspend")).to_have_count(0)
    assert moderator.evaluate("window.__marker") == 1  # the drawer updated in place

    reader.get_by_role("textbox", name="Your comment").fill("One more try")
    reader.get_by_role("button", name="Post comment").click()
    expect(reader.locator("#comment-form").get_by_role("alert")).to_have_text(
        "Your account has been banned from commenting: Spam links"
    )
    assert not Comment.objects.filter(body="One more try").exists()
    assert Comment.objects.get(pk=held.pk).status == "rejected"
    standing = AuthorStanding.objects.get(author=reader_user)
    assert (standing.is_banned, standing.ban_reason) == (True, "Spam links")
    ban = ModerationEvent.objects.get(action=EventAction.AUTHOR_BANNED)
    assert (ban.subject, ban.actor.username if ban.actor else None) == (reader_user, "moderator")

    # Reloaded, the article says why instead of offering the form.
    reader.reload()
    expect(reader.locator("#comments")).to_contain_text("banned from commenting: Spam links")
    expect(reader.locator("#comment-form")).to_have_count(0)


def test_it_brings_a_readers_report_on_a_published_comment_into_the_reported_queue(
    live_server: Any, new_page: Callable[[], Page], article: Article
) -> None:
    published = make_comment(
        article=article,
        author=make_user("writer"),
        body="Visit my shop for cheap watches",
        status="published",
    )

    reader = new_page()
    sign_in(reader, live_server.url, "reader", "reader-dev-pass", article.get_absolute_url())
    reader.evaluate("window.__marker = 1")
    comment = reader.locator(f"#comment-{published.pk}")
    comment.get_by_text("Report", exact=True).click()
    comment.get_by_label("Spam").check()
    comment.get_by_label("Note for the moderators").fill("Advertising")
    comment.get_by_role("button", name="Send report").click()
    expect(comment.get_by_role("status")).to_have_text(
        "Thank you: the moderators will look at this comment."
    )
    assert reader.evaluate("window.__marker") == 1  # no reload
    report = Report.objects.get()
    assert (report.comment_id, report.reason, report.note) == (published.pk, "spam", "Advertising")

    moderator = new_page()
    sign_in(moderator, live_server.url, "moderator", "moderator-dev-pass", "/moderation/")
    moderator.get_by_role("link", name="Reported").click()
    card = moderator.locator(f"#queue-comment-{published.pk}")
    expect(card).to_contain_text("Visit my shop for cheap watches")
    expect(card).to_contain_text("1 open report")
    expect(card).to_contain_text("Spam: “Advertising”")
