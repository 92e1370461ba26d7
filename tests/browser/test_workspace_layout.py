"""The moderators' workspace fits a phone (390 by 844 px) and lines up on a laptop (1280 by 800)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pytest_django import Settings

from comments.models import Comment, CommentStatus
from comments.services import approve_comment, reject_comment
from tests.browser.test_moderation_queue import QUEUE, sign_in
from tests.conftest import Heartbeats
from tests.factories import make_article, make_comment, make_moderator, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}
AUDIT = "/moderation/audit/"
# Set to a folder to keep screenshots of every page measured, to look at.
SHOTS = os.environ.get("LAYOUT_SCREENSHOTS", "")

BOXES = """(selectors) => Object.fromEntries(selectors.map((selector) => {
  const element = document.querySelector(selector);
  if (!element) return [selector, null];
  const box = element.getBoundingClientRect();
  return [selector, {top: box.top, left: box.left, width: box.width, height: box.height}];
}))"""
NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"
# What a point of the screen shows: the element on top there, as a person would see it.
ON_TOP = """(element) => {
  const box = element.getBoundingClientRect();
  return document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2) === element;
}"""


@pytest.fixture
def workspace(active_classifier: Any, heartbeats: Heartbeats, settings: Settings) -> list[Comment]:
    """Mona's queue as she finds it: held comments with their scores, an active model that a
    live worker scores with (no trouble banner), nothing of hers left to undo, and an audit log
    with long lines."""
    heartbeats.beat(model_version=active_classifier.version)
    settings.MODERATION_UNDO_SECONDS = 0
    mona = make_moderator("mona")
    article = make_article(
        title="Councils across the region publish the revised evacuation timetable in full"
    )
    author = make_user("a_reader_with_a_rather_long_name")
    cards = [
        make_comment(
            article=article,
            author=author,
            body=f"Comment {i}: the bridge closure needs a second look from the editors.",
            status=CommentStatus.HELD,
            risk=0.9 - i / 10,
            scores={"toxicity": 0.9 - i / 10, "spam": 0.1},
            reason_codes=["toxicity_uncertain"],
        )
        for i in range(8)
    ]
    for comment in cards[6:]:
        approve_comment(comment=comment, moderator=mona)
    reject_comment(
        comment=make_comment(
            article=article,
            author=author,
            body="https://example.com/a-very-long-address-without-any-place-to-break-it-at-all",
            status=CommentStatus.HELD,
        ),
        moderator=mona,
        reason="spam",
    )
    return cards[:6]


def boxes(page: Page, *selectors: str) -> dict[str, Any]:
    return page.evaluate(BOXES, list(selectors))


def shoot(page: Page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"))


def open_as_mona(base_url: str, page: Page, size: dict[str, int], path: str) -> Page:
    page.set_viewport_size(size)
    sign_in(page, base_url, "mona")
    if path != QUEUE:
        page.goto(f"{base_url}{path}")
    shoot(page, f"{path.strip('/').replace('/', '-')}-{size['width']}")
    return page


def assert_each_checkbox_clear(page: Page, comments: list[Comment]) -> None:
    """Move through the cards with j: each one's checkbox is in sight, not under the bulk bar."""
    for comment in comments:
        page.keyboard.press("j")
        expect(page.locator(f"#queue-comment-{comment.pk}")).to_be_focused()
        box = page.locator(f"#queue-comment-{comment.pk} [data-select]")
        assert box.evaluate(ON_TOP), f"the checkbox of comment {comment.pk} is covered"


def test_the_queue_fits_a_phone(
    live_server: Any, new_page: Callable[[], Page], workspace: list[Comment]
) -> None:
    page = open_as_mona(live_server.url, new_page(), PHONE, QUEUE)
    measured = boxes(page, "#bulk-form", "#queue-filters", "[data-card]")
    # Filters and bulk actions are folded until used: the first card is on the first screen.
    assert measured["#bulk-form"]["height"] <= 60
    assert measured["#queue-filters"]["height"] <= 160
    assert measured["[data-card]"]["top"] < PHONE["height"] - 100
    assert page.evaluate(NO_SIDEWAYS_SCROLL)

    # Used, the bulk bar opens, and never sits over a card's checkbox as the queue scrolls.
    page.locator("#bulk-form summary").click()
    expect(page.get_by_label("All 6 matching this filter")).to_be_visible()
    shoot(page, "queue-390-bulk-open")
    assert boxes(page, "#bulk-form")["#bulk-form"]["height"] <= 320
    assert_each_checkbox_clear(page, workspace)
    page.keyboard.press("x")
    expect(page.locator("[data-selected-count]")).to_have_text("1")
    assert page.evaluate(NO_SIDEWAYS_SCROLL)


def test_the_audit_log_fits_a_phone(
    live_server: Any, new_page: Callable[[], Page], workspace: list[Comment]
) -> None:
    page = open_as_mona(live_server.url, new_page(), PHONE, AUDIT)
    measured = boxes(page, ".audit")
    assert measured[".audit"]["width"] <= PHONE["width"]
    assert page.evaluate(NO_SIDEWAYS_SCROLL)


@pytest.mark.parametrize("path", [QUEUE, AUDIT, "/moderation/dashboard/", "/moderation/rules/"])
def test_the_workspace_lines_up_with_its_header_on_a_laptop(
    live_server: Any, new_page: Callable[[], Page], workspace: list[Comment], path: str
) -> None:
    page = open_as_mona(live_server.url, new_page(), LAPTOP, path)
    measured = boxes(page, ".site-header__inner", "main", ".site-footer .wrap")
    header, main = measured[".site-header__inner"], measured["main"]
    assert (header["left"], header["width"]) == (main["left"], main["width"])
    assert measured[".site-footer .wrap"]["left"] == main["left"]
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    if path == QUEUE:
        cards = boxes(page, "[data-card]", "#bulk-form")
        assert cards["[data-card]"]["top"] < LAPTOP["height"] * 0.6
        assert cards["#bulk-form"]["height"] <= 60
        # Open, the bulk bar stays in reach as the queue scrolls, clear of the cards' boxes.
        page.locator("#bulk-form summary").click()
        assert_each_checkbox_clear(page, workspace)
        assert boxes(page, "#bulk-form")["#bulk-form"]["top"] == 0  # stuck to the top
