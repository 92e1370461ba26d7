"""In Chromium: a moderator manages the integrations from the workspace (API keys, Coral's
requests, the embed's allowed sites), each page accessible (axe, WCAG 2.1 AA) and phone-sized."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from integrations.models import ApiKey, CoralModerationRequest, EmbedOrigin
from tests.browser.axe import assert_accessible
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, make_moderator

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 375, "height": 740}
NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def moderator_page(live_server: Any, new_page: Callable[[], Page]) -> Page:
    make_moderator("mona")
    page = new_page()
    sign_in(page, live_server.url, "mona", PASSWORD, "/moderation/")
    return page


def check_page(page: Page) -> None:
    assert_accessible(page)
    page.set_viewport_size(PHONE)
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    assert_accessible(page)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_it_creates_a_key_shown_once_and_revokes_it(moderator_page: Page) -> None:
    page = moderator_page
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Integrations").click()
    expect(page.get_by_role("heading", name="API keys", level=1)).to_be_visible()
    expect(page.get_by_text("No keys yet.")).to_be_visible()

    page.get_by_label("Name").fill("coral")
    page.get_by_label("Requests per minute").fill("120")
    page.get_by_role("button", name="Create key").click()
    shown = page.get_by_label("New key").input_value()
    api_key = ApiKey.objects.get(name="coral")
    assert shown.startswith(f"nk_{api_key.prefix}_") and api_key.key_hash != shown
    expect(page.get_by_role("cell", name="0 requests")).to_be_visible()
    expect(page.get_by_role("cell", name="Never")).to_be_visible()
    check_page(page)

    page.get_by_role("link", name="API keys").click()
    expect(page.get_by_label("New key")).to_have_count(0)  # once only
    page.get_by_role("button", name="Revoke coral").click()
    expect(page.get_by_role("status")).to_contain_text("Revoked coral")
    expect(page.get_by_role("cell", name="Revoked")).to_be_visible()
    api_key.refresh_from_db()
    assert api_key.is_revoked


def test_it_lists_corals_requests(moderator_page: Page) -> None:
    CoralModerationRequest.objects.create(
        body_sha256="a" * 64,
        action="NEW",
        story_url="https://news.example.com/2026/12/harbour-wall",
        author_id="coral-user-7",
        status="SYSTEM_WITHHELD",
        actions=[{"actionType": "FLAG", "reason": "COMMENT_DETECTED_TOXIC"}],
        reason_codes=["unscored"],
        scores={},
    )
    page = moderator_page
    page.goto(page.url.replace("/moderation/", "/moderation/integrations/coral/"))
    expect(page.get_by_role("heading", name="Coral requests", level=1)).to_be_visible()
    row = page.get_by_role("row").filter(has_text="harbour-wall")
    expect(row).to_contain_text("Withheld for a moderator")
    expect(row).to_contain_text("COMMENT_DETECTED_TOXIC")
    expect(row).to_contain_text("Not scored")
    check_page(page)


def test_it_allows_a_site_to_embed_and_removes_it(moderator_page: Page) -> None:
    page = moderator_page
    page.goto(page.url.replace("/moderation/", "/moderation/integrations/embed/"))
    expect(page.get_by_text("No site may embed the comments yet.")).to_be_visible()

    page.get_by_label("Site address").fill("https://news.example.com/story")
    page.get_by_role("button", name="Allow site").click()
    expect(page.locator("#id_origin-errors")).to_contain_text("Enter a site's address only")
    check_page(page)

    page.get_by_label("Site address").fill("https://news.example.com")
    page.get_by_role("button", name="Allow site").click()
    expect(page.get_by_role("status")).to_contain_text("https://news.example.com may embed")
    assert EmbedOrigin.objects.get().origin == "https://news.example.com"
    expect(page.get_by_text("/embed.js")).to_be_visible()  # the snippet to paste
    check_page(page)

    page.get_by_role("button", name="Remove https://news.example.com").click()
    expect(page.get_by_text("No site may embed the comments yet.")).to_be_visible()
