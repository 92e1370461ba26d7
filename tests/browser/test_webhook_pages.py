"""A moderator registers a webhook endpoint and redelivers a failed delivery, in Chromium; both
pages pass axe-core's WCAG 2.1 AA rules on a laptop and at phone width (375 px)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from integrations import services
from integrations.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tests.browser.test_moderation_queue import sign_in
from tests.factories import make_article, make_comment, make_moderator, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ENDPOINTS = "/moderation/integrations/webhooks/"
DELIVERIES = "/moderation/integrations/webhooks/deliveries/"
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
# Set to a folder to keep a screenshot of each page at each width, to look at.
SHOTS = os.environ.get("LAYOUT_SCREENSHOTS", "")
NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"


def assert_accessible_at_both_widths(page: Page) -> None:
    for size in (LAPTOP, PHONE):
        page.set_viewport_size(size)
        results = Axe().run(page, options=WCAG_21_AA)
        assert results.violations_count == 0, results.generate_report()
        assert results.response["passes"], "axe-core checked nothing"
        if SHOTS:
            page.screenshot(
                path=f"{SHOTS}/{page.url.rstrip('/').rsplit('/', 1)[-1]}-{size['width']}.png",
                full_page=True,
            )
        assert page.evaluate(NO_SIDEWAYS_SCROLL), f"sideways scroll at {size['width']} px"


def test_a_moderator_registers_an_endpoint_and_redelivers_a_failed_delivery(
    live_server: Any, new_page: Callable[[], Page]
) -> None:
    make_moderator("mona")
    services.record_webhook_deliveries()  # the dispatcher has been running: cursors at the end
    failing = services.create_webhook_endpoint(
        url="https://cms.example.org/a/rather/long/path/to/the/newsroom/webhook/receiver",
        events=["comment.created"],
        created_by=None,
    )
    make_comment(article=make_article(), author=make_user("rita"))
    services.record_webhook_deliveries()
    WebhookDelivery.objects.update(
        status=DeliveryStatus.FAILED,
        attempts=8,
        last_status_code=502,
        last_error="HTTP 502 Bad Gateway: the upstream server did not answer in time",
    )
    page = new_page()
    sign_in(page, live_server.url, "mona")

    page.goto(f"{live_server.url}{ENDPOINTS}")
    page.get_by_label("Endpoint URL").fill("https://cms.example.org/hooks")
    page.get_by_role("checkbox", name="comment.rejected").check()
    page.get_by_role("button", name="Register endpoint").click()

    created = WebhookEndpoint.objects.exclude(pk=failing.pk).get()
    expect(page.get_by_text(created.secret)).to_be_visible()
    assert created.events == ["comment.rejected"]
    assert_accessible_at_both_widths(page)

    page.set_viewport_size(LAPTOP)
    page.get_by_role("link", name="Webhook deliveries").click()
    row = page.locator("tbody tr").first
    expect(row).to_contain_text("Failed")
    expect(row).to_contain_text("the upstream server did not answer")
    assert_accessible_at_both_widths(page)

    page.get_by_role("button", name="Redeliver").click()

    expect(page.get_by_role("status")).to_contain_text("queued again")
    expect(page.locator("tbody tr").first).to_contain_text("Pending")
    assert WebhookDelivery.objects.get().status == DeliveryStatus.PENDING
