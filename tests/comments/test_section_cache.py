"""The signed-out reader's cached comment section, and the page's ETag (issue 15).

Each change a reader can see must render it afresh; a signed-in reader's page is never served
from it. Rows changed with a bare `update()` (which bumps nothing) show that a page really is
served from the cache until a service's change lands.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from articles.models import Article
from comments.models import Comment, CommentStatus
from comments.services import (
    approve_comment,
    delete_own_comment,
    edit_comment,
    feature_comment,
    reject_comment,
    submit_comment,
    toggle_reaction,
)
from tests.factories import make_article, make_comment, make_moderator, make_user

pytestmark = pytest.mark.django_db


def page(client: Client, article: Article, query: str = "") -> str:
    response = client.get(article.get_absolute_url() + query)
    assert response.status_code == 200
    return response.content.decode()


def cached_copy_is_served(client: Client, article: Article, comment: Comment) -> bool:
    """Change the comment's text behind every service's back: the cached copy keeps the old."""
    Comment.objects.filter(pk=comment.pk).update(body="Changed behind its back")
    return "Changed behind its back" not in page(client, article)


@pytest.fixture
def story() -> tuple[Article, Comment, Any]:
    article = make_article()
    ann = make_user("ann")
    shown = make_comment(article=article, author=ann, body="First words", status="published")
    return article, shown, ann


def test_it_serves_signed_out_readers_the_cached_section(
    client: Client, story: tuple[Article, Comment, Any]
) -> None:
    article, shown, _ = story
    assert "First words" in page(client, article)
    assert cached_copy_is_served(client, article, shown)
    # Another order, page or thread is its own copy, rendered afresh.
    assert "Changed behind its back" in page(client, article, "?sort=newest")
    # So is any query string the cache does not key on.
    assert "Changed behind its back" in page(client, article, "?utm_source=x")


CHANGES: dict[str, Callable[[Comment, Any, Any], object]] = {
    "reject": lambda c, author, mod: reject_comment(comment=c, moderator=mod, reason="spam"),
    "edit": lambda c, author, mod: edit_comment(comment=c, author=author, body="New words"),
    "delete": lambda c, author, mod: delete_own_comment(comment=c, author=author),
    "feature": lambda c, author, mod: feature_comment(comment=c, moderator=mod),
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_readers_see_renders_the_section_afresh(
    client: Client,
    story: tuple[Article, Comment, Any],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    change: str,
) -> None:
    article, shown, ann = story
    page(client, article)
    before = page(client, article)
    with django_capture_on_commit_callbacks(execute=True):
        CHANGES[change](shown, ann, make_moderator())
    after = page(client, article)
    assert after != before
    expected = {
        "reject": "0 comments</h3>",
        "edit": "New words",
        "delete": "Deleted by its author",
        "feature": 'id="featured-comments"',
    }[change]
    assert expected in after and expected not in before


def test_a_publish_renders_the_section_afresh(
    client: Client,
    story: tuple[Article, Comment, Any],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    article, _, _ = story
    held = make_comment(article=article, author=make_user("bob"), body="Held", status="held")
    assert "Held" not in page(client, article)
    with django_capture_on_commit_callbacks(execute=True):
        approve_comment(comment=held, moderator=make_moderator())
    html = page(client, article)
    assert "2 comments</h3>" in html and f'id="comment-{held.pk}"' in html


def test_a_reaction_shows_once_its_coarser_grain_has_passed(
    client: Client,
    story: tuple[Article, Comment, Any],
    settings: Settings,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    article, shown, _ = story
    count = '<span class="reaction__count">1</span>'
    settings.COMMENT_SECTION_REACTION_SECONDS = 3600
    page(client, article)
    with django_capture_on_commit_callbacks(execute=True):
        toggle_reaction(comment=shown, reader=make_user("rea"))
    assert count not in page(client, article)  # within the grain: the cached counts
    settings.COMMENT_SECTION_REACTION_SECONDS = 0
    assert count in page(client, article)
    # Taken back: rendered afresh again.
    with django_capture_on_commit_callbacks(execute=True):
        toggle_reaction(comment=shown, reader=(other := make_user("rea2")))
        toggle_reaction(comment=shown, reader=other)
    assert count in page(client, article)


def test_it_answers_304_while_nothing_changed_and_200_after(
    client: Client,
    story: tuple[Article, Comment, Any],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    article, shown, ann = story
    first = client.get(article.get_absolute_url())
    tag = first.headers["ETag"]
    assert (
        "no-cache" in first.headers["Cache-Control"] and "private" in first.headers["Cache-Control"]
    )
    again = client.get(article.get_absolute_url(), HTTP_IF_NONE_MATCH=tag)
    assert again.status_code == 304 and again.headers["ETag"] == tag
    with django_capture_on_commit_callbacks(execute=True):
        edit_comment(comment=shown, author=ann, body="New words")
    changed = client.get(article.get_absolute_url(), HTTP_IF_NONE_MATCH=tag)
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    assert "New words" in changed.content.decode()
    # A signed-out page carries no CSRF token (base.html): a CSRF cookie changes nothing.
    fresh = changed.headers["ETag"]
    client.cookies["csrftoken"] = "x" * 32
    assert client.get(article.get_absolute_url(), HTTP_IF_NONE_MATCH=fresh).status_code == 304


def test_a_signed_in_reader_never_gets_another_readers_page(
    story: tuple[Article, Comment, Any],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    article, shown, _ = story
    rita, sam = make_user("rita"), make_user("sam")
    with django_capture_on_commit_callbacks(execute=True):
        mine = submit_comment(article=article, author=rita, body="Words of Rita, pending")
        toggle_reaction(comment=shown, reader=rita)
    visitor, as_rita, as_sam = Client(), Client(), Client()
    as_rita.force_login(rita)
    as_sam.force_login(sam)
    for _ in range(2):
        anonymous = page(visitor, article)
        ritas = as_rita.get(article.get_absolute_url())
        sams = page(as_sam, article)
        assert "ETag" not in ritas.headers
        ritas_html = ritas.content.decode()
        assert "Words of Rita, pending" in ritas_html and 'aria-pressed="true"' in ritas_html
        assert 'id="comment-form"' in ritas_html and 'id="comment-form"' in sams
        assert "Words of Rita, pending" not in sams and 'aria-pressed="true"' not in sams
        assert "Words of Rita, pending" not in anonymous and 'id="comment-form"' not in anonymous
        assert "csrfmiddlewaretoken" not in anonymous.split('id="comments"', 1)[1]
    assert mine.status == CommentStatus.PENDING


def test_readers_arriving_while_another_renders_get_the_copy_it_replaces(
    client: Client,
    story: tuple[Article, Comment, Any],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    article, shown, ann = story
    page(client, article)
    with django_capture_on_commit_callbacks(execute=True):
        edit_comment(comment=shown, author=ann, body="New words")
    # Another process holds the copy's render lock (cache.add fails): the previous copy.
    with mock.patch.object(cache, "add", return_value=False):
        assert "First words" in page(client, article)
    # Its render done (the lock gone), the next reader renders the change.
    assert "New words" in page(client, article)


def test_comments_closing_by_the_clock_render_it_afresh(client: Client) -> None:
    # Nothing is written when comments close by themselves: the copy is keyed on the closing.
    article = make_article(
        published_at=timezone.now() - timedelta(days=1, minutes=-1), close_comments_after_days=1
    )
    assert "Sign in</a>" in page(client, article)
    later = article.published_at + timedelta(days=1, seconds=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert "Comments on this article closed on" in page(client, article)


def test_a_new_display_name_or_a_deleted_account_renders_it_afresh(
    client: Client,
    story: tuple[Article, Comment, Any],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    from accounts.services import delete_account, save_display_name

    article, _, ann = story
    assert ">ann</strong>" in page(client, article)
    with django_capture_on_commit_callbacks(execute=True):
        save_display_name(user=ann, display_name="Ann Archer")
    assert ">Ann Archer</strong>" in page(client, article)
    with django_capture_on_commit_callbacks(execute=True):
        delete_account(user=ann)
    html = page(client, article)
    assert "Ann Archer" not in html and "First words" in html
