"""Live updates and the nudge in Chromium: news without a reload, the nudged draft, the queue."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from articles.models import Article
from comments.models import Comment, CommentStatus, Nudge, NudgeOutcome
from comments.scoring import score_comment
from comments.services import approve_comment
from tests.browser.axe import assert_accessible
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, make_article, make_comment, make_moderator, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
TOXIC = "you are a stupid idiot and everyone hates you"
POLITE = "I read the whole article and I think the council waited too long."


@pytest.fixture(autouse=True)
def quick_polls(settings: Any) -> None:
    # The live server runs in this process: it reads these at each render.
    settings.LIVE_POLL_SECONDS = 1
    settings.MODERATION_POLL_SECONDS = 1


def audit_at_both_widths(page: Page) -> None:
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        assert_accessible(page)


def test_a_second_browser_sees_a_new_comment_without_reloading(
    live_server: Any, new_page: Callable[[], Page]
) -> None:
    article = make_article()
    author, moderator = make_user("rita"), make_moderator()
    make_comment(article=article, author=author, body="Already here.", status="published")
    held = make_comment(article=article, author=author, body="Worth waiting for.", status="held")

    visitor = new_page()
    visitor.goto(f"{live_server.url}{article.get_absolute_url()}")
    visitor.wait_for_load_state("load")
    visitor.evaluate("window.__marker = 1")  # gone if the page reloads
    expect(visitor.locator("#comments-count")).to_have_text("1 comment")

    approve_comment(comment=held, moderator=moderator)  # bumps the article after commit

    news = visitor.locator("#live-news")
    expect(news).to_have_text("1 new comment: show")
    assert visitor.evaluate("window.__marker") == 1
    audit_at_both_widths(visitor)
    news.get_by_role("link", name="show").click()
    expect(visitor.locator("ol.comment-list")).to_contain_text("Worth waiting for.")
    expect(visitor.locator("#comments-count")).to_have_text("2 comments")
    expect(news).to_be_empty()
    assert visitor.evaluate("window.__marker") == 1  # swapped in place, not reloaded


@pytest.mark.nudge
def test_a_toxic_draft_is_nudged_revised_and_then_posted(
    live_server: Any, new_page: Callable[[], Page], active_classifier: Any
) -> None:
    article = make_article()
    make_user("rita")
    reader = new_page()
    sign_in(reader, live_server.url, "rita", PASSWORD, article.get_absolute_url())
    textbox = reader.get_by_role("textbox", name="Your comment")

    textbox.fill(TOXIC)
    reader.get_by_role("button", name="Post comment").click()

    nudge = reader.locator("#comment-nudge")
    expect(nudge).to_contain_text("Your comment may break our community guidelines.")
    expect(nudge.locator("mark.term").first).to_be_visible()
    expect(reader.get_by_role("textbox", name="Your comment")).to_have_value(TOXIC)
    assert not Comment.objects.exists()
    audit_at_both_widths(reader)

    reader.set_viewport_size(DESKTOP)
    reader.get_by_role("textbox", name="Your comment").fill(POLITE)
    reader.get_by_role("button", name="Post comment").click()

    own = reader.locator("#own-comments article.comment").filter(has_text=POLITE)
    expect(own).to_have_count(1)
    expect(reader.locator("#comment-nudge")).to_have_count(0)
    nudged = Nudge.objects.get()
    assert nudged.outcome == NudgeOutcome.REVISED
    assert nudged.comment == Comment.objects.get(body=POLITE)


def test_the_queue_offers_a_comment_held_while_it_is_open(
    live_server: Any, new_page: Callable[[], Page], active_classifier: Any
) -> None:
    article: Article = make_article(policy="premoderate")
    author = make_user("rita")
    make_comment(article=article, author=author, body="Held before.", status="held", risk=0.4)
    make_moderator()
    moderator = new_page()
    sign_in(moderator, live_server.url, "mona", PASSWORD, "/moderation/")
    moderator.evaluate("window.__marker = 1")

    # A real scoring (the worker's service, here in the test): pre-moderation holds it.
    pending = make_comment(article=article, author=author, body="Fresh from the worker.")
    assert score_comment(comment_id=pending.pk).status == CommentStatus.HELD

    offer = moderator.locator("#queue-new")
    expect(offer).to_have_text("1 new: show")
    audit_at_both_widths(moderator)
    moderator.set_viewport_size(DESKTOP)
    offer.get_by_role("link", name="show").click()
    expect(moderator.locator(f"#queue-comment-{pending.pk}")).to_contain_text(
        "Fresh from the worker."
    )
    expect(moderator.locator("#queue-new")).to_be_empty()
    assert moderator.evaluate("window.__marker") == 1
