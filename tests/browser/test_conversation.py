"""The readers' conversation in Chromium (issue 11): reply and react, sort, edit (scored again
by a real worker), delete, a moderator featuring a comment; axe on the changed article page."""

from __future__ import annotations

import re
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings
from playwright.sync_api import Page, expect

from articles.models import Article
from comments.models import Comment, CommentStatus, EventAction, ModerationEvent, Reaction
from tests.browser.axe import assert_accessible
from tests.browser.conftest import sign_in
from tests.factories import make_user
from tests.workers import CeleryWorker

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCORED_WITHIN_MS = 30_000


@pytest.fixture
def article(transactional_db: None) -> Article:
    """The launch article, the demo reader and moderator, and two readers' published comments."""
    with override_settings(DEBUG=True):  # load_demo makes known passwords only in DEBUG
        call_command("load_demo", stdout=StringIO())
    story = Article.objects.get()
    Comment.objects.filter(article=story).delete()
    ann, bob = make_user("ann"), make_user("bob")
    Comment.objects.create(article=story, author=ann, body="Ann's early view", status="published")
    Comment.objects.create(article=story, author=bob, body="Bob's later view", status="published")
    return story


def comment_of(page: Page, text: str) -> Any:
    return page.locator("#comment-threads article.comment").filter(has_text=text).first


def test_a_reader_replies_to_a_comment_and_reacts_to_another(
    live_server: Any,
    new_page: Callable[[], Page],
    article: Article,
    celery_worker: CeleryWorker,
    active_classifier: Any,
) -> None:
    page = new_page()
    sign_in(page, live_server.url, "reader", "reader-dev-pass", article.get_absolute_url())
    page.evaluate("window.__marker = 1")  # gone if anything reloads the page

    ann = comment_of(page, "Ann's early view")
    ann.get_by_role("link", name="Reply to ann").click()
    page.get_by_role("textbox", name="Your reply to ann").fill("Thanks, a useful point.")
    since = celery_worker.mark()
    page.get_by_role("button", name="Post reply").click()
    expect(page.get_by_text("Your reply is posted")).to_be_visible()
    reply = Comment.objects.get(body="Thanks, a useful point.")
    assert reply.parent is not None and reply.parent.author.username == "ann"
    # The same scoring as any comment: the worker decides it, and the pending copy follows.
    celery_worker.wait_for(rf"comment {reply.pk} (published|held|rejected) by model", since=since)
    expect(page.locator(f"#comment-{reply.pk} .state")).not_to_have_text(
        "Awaiting moderation", timeout=SCORED_WITHIN_MS
    )

    bob = comment_of(page, "Bob's later view")
    respect = bob.get_by_role("button", name=re.compile(r"^Respect"))
    expect(respect).to_have_attribute("aria-pressed", "false")
    respect.click()
    expect(respect).to_have_attribute("aria-pressed", "true")
    expect(respect).to_have_text(re.compile(r"Respect\s+1"))
    assert Reaction.objects.filter(comment__body="Bob's later view").count() == 1
    assert page.evaluate("window.__marker") == 1


def test_a_reader_changes_the_sort_order_and_it_is_remembered(
    live_server: Any, new_page: Callable[[], Page], article: Article
) -> None:
    Comment.objects.filter(body="Ann's early view").update(reaction_count=0)
    Comment.objects.filter(body="Bob's later view").update(reaction_count=4)
    page = new_page()
    url = live_server.url + article.get_absolute_url()
    page.goto(url)
    threads = page.locator("#comment-threads > li")
    expect(threads.first).to_contain_text("Ann's early view")  # oldest first by default
    page.get_by_role("navigation", name="Sort comments").get_by_role(
        "link", name="Most reactions"
    ).click()
    expect(page).to_have_url(re.compile(r"\?sort=reactions"))
    expect(threads.first).to_contain_text("Bob's later view")
    page.goto(url)  # no ?sort= : the cookie remembers it
    expect(threads.first).to_contain_text("Bob's later view")
    expect(page.get_by_role("link", name="Most reactions")).to_have_attribute(
        "aria-current", "true"
    )


def test_a_reader_edits_a_comment_within_the_window_and_the_edit_is_scored(
    live_server: Any,
    new_page: Callable[[], Page],
    article: Article,
    celery_worker: CeleryWorker,
    active_classifier: Any,
) -> None:
    from django.contrib.auth import get_user_model

    reader = get_user_model().objects.get(username="reader")
    mine = Comment.objects.create(
        article=article, author=reader, body="I think the plan is fine.", status="published"
    )
    page = new_page()
    sign_in(page, live_server.url, "reader", "reader-dev-pass", article.get_absolute_url())
    own = page.locator(f"#comment-{mine.pk}")
    own.get_by_role("link", name="Edit your comment").click()
    box = page.get_by_role("textbox", name="Edit your comment")
    expect(box).to_have_value("I think the plan is fine.")
    box.fill("I think the plan is fine, mostly.")
    since = celery_worker.mark()
    page.get_by_role("button", name="Save edit").click()
    expect(own).to_contain_text("I think the plan is fine, mostly.")
    expect(own.locator(".comment__edited")).to_have_text("edited")

    celery_worker.wait_for(rf"comment {mine.pk} (published|held|rejected) by model", since=since)
    mine.refresh_from_db()
    assert (mine.revision, mine.scored_revision) == (1, 1)  # the edit itself was scored
    scored = ModerationEvent.objects.filter(comment=mine, action=EventAction.SCORED).get()
    assert scored.from_status == CommentStatus.PUBLISHED
    assert mine.revisions.get().body == "I think the plan is fine."


def test_a_reader_deletes_their_comment_and_the_thread_keeps_its_shape(
    live_server: Any, new_page: Callable[[], Page], article: Article
) -> None:
    from django.contrib.auth import get_user_model

    reader = get_user_model().objects.get(username="reader")
    mine = Comment.objects.create(
        article=article, author=reader, body="On second thoughts", status="published"
    )
    Comment.objects.create(
        article=article,
        author=make_user("cat"),
        body="Cat answers it",
        status="published",
        parent=mine,
        root=mine,
        depth=1,
    )
    page = new_page()
    sign_in(page, live_server.url, "reader", "reader-dev-pass", article.get_absolute_url())
    own = page.locator(f"#comment-{mine.pk}")
    own.get_by_text("Delete", exact=False).first.click()  # the <summary> opens the confirmation
    own.get_by_role("button", name="Delete comment").click()
    expect(page.locator(f"#comment-{mine.pk}")).to_have_text("Deleted by its author")
    page.reload()
    expect(page.locator(f"#comment-{mine.pk}")).to_have_text("Deleted by its author")
    expect(page.get_by_text("Cat answers it")).to_be_visible()
    mine.refresh_from_db()
    assert mine.deleted_at is not None


def test_a_moderator_features_a_comment_and_a_visitor_sees_it_first(
    live_server: Any, new_page: Callable[[], Page], article: Article
) -> None:
    path = article.get_absolute_url()
    moderator = new_page()
    sign_in(moderator, live_server.url, "moderator", "moderator-dev-pass", path)
    bob = comment_of(moderator, "Bob's later view")
    bob.get_by_role("button", name="Feature").click()
    expect(bob.get_by_role("button", name="Unfeature")).to_be_visible()

    visitor = new_page()
    visitor.goto(live_server.url + path)
    featured = visitor.get_by_role("region", name="Featured")
    expect(featured).to_contain_text("Bob's later view")
    first_comment = visitor.locator("article.comment").first
    expect(first_comment).to_contain_text("Bob's later view")
    expect(first_comment.locator(".badge--featured")).to_have_text("Featured")


@pytest.mark.parametrize("width", [1280, 375], ids=["desktop", "phone"])
def test_the_conversation_passes_axe_and_fits_the_width(
    live_server: Any, new_page: Callable[[], Page], article: Article, width: int
) -> None:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    reader = get_user_model().objects.get(username="reader")
    ann = Comment.objects.get(body="Ann's early view")
    Comment.objects.filter(pk=ann.pk).update(featured_at=timezone.now(), reaction_count=2)
    parent = ann
    for depth in range(1, 6):  # deeper than COMMENT_MAX_DEPTH: the last ones show flat
        parent = Comment.objects.create(
            article=article,
            author=make_user(f"deep{depth}"),
            body=f"Reply at depth {depth}, see https://example.org/{depth}",
            status="published",
            parent=parent,
            root=ann,
            depth=min(depth, 3),
            edited_at=timezone.now(),
        )
    Comment.objects.create(article=article, author=reader, body="My own", status="published")
    Comment.objects.create(article=article, author=reader, body="My pending", status="pending")
    Comment.objects.create(
        article=article, author=reader, body="gone", status="published", deleted_at=timezone.now()
    )
    page = new_page()
    page.set_viewport_size({"width": width, "height": 900})
    path = article.get_absolute_url()
    page.goto(live_server.url + path)
    assert_accessible(page)  # anonymous
    sign_in(page, live_server.url, "reader", "reader-dev-pass", path)
    expect(page.get_by_text("in reply to @deep3").first).to_be_visible()
    comment_of(page, "Ann's early view").get_by_role("link", name="Reply to ann").click()
    expect(page.get_by_role("textbox", name="Your reply to ann")).to_be_visible()
    comment_of(page, "My own").get_by_role("link", name="Edit your comment").click()
    expect(page.get_by_role("textbox", name="Edit your comment")).to_be_visible()
    page.get_by_role("textbox", name="Your comment", exact=True).fill(
        "x" * 4990
    )  # the counter warns
    expect(page.locator("#comment-form [data-counter]")).to_have_text("10 characters left.")
    assert_accessible(page)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at {width}px"
