"""A reader posts a comment in Chromium; the worker holds it; a moderator publishes it."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO
from typing import Any, NoReturn

import pytest
from django.core.management import call_command
from django.db import connections
from django.test import override_settings
from playwright.sync_api import Page, expect

from articles.models import Article, CommentPolicy
from comments.models import Comment, CommentStatus, EventAction
from tests.browser.conftest import sign_in
from tests.workers import CeleryWorker

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Scoring goes web -> Redis -> worker -> database -> the next 2-second poll of the fragment.
DECIDED_WITHIN_MS = 30_000
HELD = "Held for review: a moderator will decide"
BODY = "The evacuation timeline in the fourth paragraph deserves a follow-up story."

# Records each state the author's own comment shows, so the test can tell that the page went
# from "Awaiting moderation" to the decision by itself, whatever the timing of the polls.
RECORD_STATES = """() => {
  window.__states = [];
  const own = document.querySelector("#own-comments");
  new MutationObserver(() => {
    const text = own.querySelector(".state")?.textContent.trim();
    if (text && window.__states.at(-1) !== text) window.__states.push(text);
  }).observe(own, {childList: true, subtree: true, characterData: true});
}"""


@pytest.fixture
def launch_article(transactional_db: None) -> Article:
    """The launch article and the demo accounts, with every comment held for a moderator."""
    # load_demo refuses to create accounts with known passwords when DEBUG is off, as in tests.
    with override_settings(DEBUG=True):
        call_command("load_demo", stdout=StringIO())
    article = Article.objects.get()
    # Pre-moderation makes the worker's decision certain (held) whatever the model scores.
    article.comment_policy = CommentPolicy.PREMODERATE
    article.save(update_fields=["comment_policy"])
    return article


def test_it_holds_a_readers_comment_live_and_publishes_it_when_a_moderator_approves(
    live_server: Any,
    new_page: Callable[[], Page],
    launch_article: Article,
    celery_worker: CeleryWorker,
    active_classifier: Any,
) -> None:
    article_path = launch_article.get_absolute_url()

    reader = new_page()
    sign_in(reader, live_server.url, "reader", "reader-dev-pass", article_path)
    reader.evaluate("window.__marker = 1")  # gone if the page reloads or navigates
    reader.evaluate(RECORD_STATES)
    reader.get_by_role("textbox", name="Your comment").fill(BODY)
    reader.get_by_role("button", name="Post comment").click()

    own = reader.locator("#own-comments article.comment").filter(has_text=BODY)
    expect(own).to_have_count(1)
    comment_id = int((own.get_attribute("id") or "").removeprefix("comment-"))
    expect(own.get_by_role("status")).to_have_text(HELD, timeout=DECIDED_WITHIN_MS)
    assert reader.evaluate("window.__marker") == 1
    assert reader.evaluate("window.__states") == ["Awaiting moderation", HELD]
    held = Comment.objects.get(pk=comment_id)
    assert (held.status, held.reason_codes[0]) == (CommentStatus.HELD, "article_premoderated")
    expect(reader.get_by_role("textbox", name="Your comment")).to_have_value("")  # a fresh form

    moderator = new_page()
    sign_in(moderator, live_server.url, "moderator", "moderator-dev-pass", "/moderation/")
    card = moderator.locator(f"#queue-comment-{comment_id}")
    expect(card).to_contain_text(BODY)
    moderator.evaluate("window.__marker = 1")
    card.get_by_role("button", name="Approve").click()
    expect(card.get_by_role("status")).to_have_text("Published")
    assert moderator.evaluate("window.__marker") == 1  # htmx swapped the card in place

    visitor = new_page()
    visitor.goto(f"{live_server.url}{article_path}")
    expect(visitor.locator("ol.comment-list")).to_contain_text(BODY)
    expect(visitor.locator("#comment-form")).to_have_count(0)  # not signed in

    published = Comment.objects.get(pk=comment_id)
    assert published.status == CommentStatus.PUBLISHED
    events = published.events.select_related("actor")
    assert [(e.action, e.to_status, e.actor and e.actor.username) for e in events] == [
        (EventAction.SCORED, CommentStatus.HELD, None),
        (EventAction.APPROVED, CommentStatus.PUBLISHED, "moderator"),
    ]


@pytest.mark.parametrize(
    ("break_request", "message"),
    [
        # The CSRF cookie gone (as after a browser clears cookies): Django answers 403.
        (lambda page: page.context.clear_cookies(name="csrftoken"), "session has expired"),
        # The network drops the request: htmx gets no response at all.
        (
            lambda page: page.route("**/comments/", lambda route: route.abort()),
            "server could not be reached",
        ),
    ],
    ids=["forbidden", "network-down"],
)
def test_it_tells_the_reader_when_posting_fails_and_keeps_their_text(
    live_server: Any,
    new_page: Callable[[], Page],
    launch_article: Article,
    break_request: Callable[[Page], None],
    message: str,
) -> None:
    article_path = launch_article.get_absolute_url()
    reader = new_page()
    sign_in(reader, live_server.url, "reader", "reader-dev-pass", article_path)
    break_request(reader)
    textbox = reader.get_by_role("textbox", name="Your comment")
    textbox.fill(BODY)
    reader.get_by_role("button", name="Post comment").click()

    expect(reader.locator("#comment-form").get_by_role("alert")).to_contain_text(message)
    expect(textbox).to_have_value(BODY)
    assert not Comment.objects.exists()


def test_it_keeps_the_readers_text_when_the_database_goes_down(
    live_server: Any,
    new_page: Callable[[], Page],
    launch_article: Article,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    article_path = launch_article.get_absolute_url()
    reader = new_page()
    sign_in(reader, live_server.url, "reader", "reader-dev-pass", article_path)
    textbox = reader.get_by_role("textbox", name="Your comment")
    textbox.fill(BODY)

    database = connections["default"]

    def refuse(*args: Any, **kwargs: Any) -> NoReturn:
        raise database.Database.OperationalError("server closed the connection (test outage)")

    # Every query fails in the driver while the reader posts, on every connection: the live
    # server thread's own (kept open between requests on PostgreSQL) or a new one.
    with monkeypatch.context() as outage:
        outage.setattr(type(database), "create_cursor", refuse)
        reader.get_by_role("button", name="Post comment").click()
        alert = reader.locator("#comment-form").get_by_role("alert")
        expect(alert).to_contain_text("briefly unavailable")
    expect(textbox).to_have_value(BODY)
    assert not Comment.objects.exists()


def test_it_keeps_the_draft_of_a_reader_signed_out_in_another_tab(
    live_server: Any, new_page: Callable[[], Page], launch_article: Article
) -> None:
    article_path = launch_article.get_absolute_url()
    reader = new_page()
    sign_in(reader, live_server.url, "reader", "reader-dev-pass", article_path)
    other_tab = reader.context.new_page()
    other_tab.goto(f"{live_server.url}{article_path}")
    other_tab.get_by_role("button", name="Sign out").click()
    expect(other_tab.get_by_role("link", name="Sign in")).to_be_visible()
    other_tab.close()

    reader.get_by_role("textbox", name="Your comment").fill(BODY)
    reader.get_by_role("button", name="Post comment").click()

    expect(reader.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(reader.get_by_role("status")).to_contain_text("your comment was not posted yet")
    reader.get_by_label("Username").fill("reader")
    reader.get_by_label("Password").fill("reader-dev-pass")
    reader.get_by_role("button", name="Sign in").click()
    expect(reader).to_have_url(f"{live_server.url}{article_path}#comment-form")
    textbox = reader.get_by_role("textbox", name="Your comment")
    expect(textbox).to_have_value(BODY)
    expect(textbox).to_be_focused()
    expect(reader.locator("#comment-form").get_by_role("status")).to_have_text(
        "Your comment was not posted: here it is again. Press “Post comment” to send it."
    )
    assert not Comment.objects.exists()

    # Posted this time: the copy is gone, so a later visit starts from an empty form.
    reader.get_by_role("button", name="Post comment").click()
    expect(reader.locator("#own-comments article.comment")).to_contain_text(BODY)
    reader.reload()
    expect(reader.get_by_role("textbox", name="Your comment")).to_have_value("")
    assert Comment.objects.get().body == BODY
