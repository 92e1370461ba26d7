"""In Chromium, under the site's Content-Security-Policy: nothing on the article page or in the
moderation queue is blocked, and the queue's htmx behaviour works without eval."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from pytest_django import Settings

from comments.models import CommentStatus
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, make_article, make_comment, make_moderator, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

QUEUE = "/moderation/"

# Runs before any script of every document the page loads, so nothing blocked goes unseen.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportViolation(
    `${location.pathname}: ${event.violatedDirective} blocked ` +
    `${event.blockedURI || "inline code"} (${event.sourceFile}:${event.lineNumber})`
  );
});
"""


def watch_for_violations(page: Page) -> list[str]:
    """Collect every CSP violation on `page`: the DOM event, and Chromium's console error."""
    violations: list[str] = []
    page.expose_function("reportViolation", lambda violation: violations.append(violation))
    page.add_init_script(REPORT_VIOLATIONS)
    page.on(
        "console",
        lambda message: (
            violations.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    return violations


def held(body: str) -> Any:
    return make_comment(
        article=make_article(),
        author=make_user("alex"),
        body=body,
        status=CommentStatus.HELD,
        reason_codes=["unscored"],
    )


def test_it_posts_a_comment_and_works_the_queue_with_no_csp_violation(
    live_server: Any, new_page: Callable[[], Page]
) -> None:
    comment = held("Held for a person to read.")
    article_path = comment.article.get_absolute_url()
    make_user("reader")
    make_moderator("mona")

    reader = new_page()
    reader_violations = watch_for_violations(reader)
    response = reader.goto(f"{live_server.url}{article_path}")
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    sign_in(reader, live_server.url, "reader", PASSWORD, article_path)
    reader.evaluate("window.__marker = 1")  # gone if the page reloads
    reader.get_by_role("textbox", name="Your comment").fill("Posted under a strict policy.")
    reader.get_by_role("button", name="Post comment").click()
    own = reader.locator("#own-comments article.comment")
    expect(own).to_contain_text("Posted under a strict policy.")
    expect(own.get_by_role("status")).to_have_text("Awaiting moderation")
    assert reader.evaluate("window.__marker") == 1  # posted with htmx, not a page load

    moderator = new_page()
    moderator_violations = watch_for_violations(moderator)
    sign_in(moderator, live_server.url, "mona", PASSWORD, QUEUE)
    card = moderator.locator(f"#queue-comment-{comment.pk}")
    # The author drawer opens with htmx and closes with its button (no hx-on: no eval).
    card.get_by_role("link", name="alex").click()
    drawer = moderator.locator("#drawer")
    expect(drawer.get_by_role("heading", name="alex")).to_be_visible()
    drawer.get_by_role("button", name="Close").click()
    expect(drawer).to_be_empty()
    card.get_by_role("button", name="Approve").click()
    expect(card).to_contain_text("You approved the comment by alex.")

    assert reader_violations == []
    assert moderator_violations == []


# Stands in for the browser hiding the tab (another tab in front, a minimised window).
SET_VISIBILITY = """(state) => Object.defineProperty(
  document, "visibilityState", {value: state, configurable: true}
)"""
RECORD_POLLS = """() => {
  window.__polls = [];
  document.addEventListener("htmx:beforeRequest", (event) => {
    if (event.detail.elt.id !== "queue-poll") return;
    window.__polls.push(event.defaultPrevented ? "paused" : "sent");
  });
}"""


def wait_for_polls(page: Page, condition: str, sent: list[str]) -> None:
    """Wait until `condition` holds of `window.__polls`; on a timeout, say what was seen."""
    try:
        page.wait_for_function(f"() => {condition}")
    except PlaywrightTimeoutError:
        seen = page.evaluate("() => window.__polls")
        pytest.fail(f"no {condition}: polls {seen}, {len(sent)} sent", pytrace=False)


def test_it_pauses_the_queues_live_refresh_while_the_tab_is_hidden(
    live_server: Any, new_page: Callable[[], Page], settings: Settings
) -> None:
    settings.MODERATION_POLL_SECONDS = 1
    held("Waiting while the moderator looks away.")
    make_moderator("mona")
    page = new_page()
    violations = watch_for_violations(page)
    sign_in(page, live_server.url, "mona", PASSWORD, QUEUE)
    sent: list[str] = []
    page.on(
        "request", lambda request: sent.append(request.url) if "/changes/" in request.url else None
    )
    page.evaluate(RECORD_POLLS)
    # Hide the tab with no poll in flight: htmx holds the next one back until it returns.
    with page.expect_response(lambda response: "/changes/" in response.url):
        pass

    page.evaluate(SET_VISIBILITY, "hidden")
    wait_for_polls(page, "window.__polls.includes('paused')", sent)
    sent_while_hidden = len(sent)
    wait_for_polls(page, "window.__polls.filter((poll) => poll === 'paused').length >= 3", sent)
    assert len(sent) == sent_while_hidden  # polls came due; none was sent

    with page.expect_request(lambda request: "/changes/" in request.url):
        page.evaluate(SET_VISIBILITY, "visible")
    assert violations == []
