"""In Chromium: a host site on another origin embeds a story's comments with the snippet, and its
readers read, sign in (our sign-in, or the host's single sign-on) and post inside the frame."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import jwt
import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Frame, Page, expect
from pytest_django import Settings

from articles.models import Article
from comments.models import Comment
from integrations.models import EmbedOrigin, SsoIdentity
from tests.browser.axe import assert_accessible
from tests.browser.embed_host import HostSite, serve
from tests.browser.test_content_security_policy import watch_for_violations
from tests.factories import make_comment, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SSO_SECRET = "host-site-sso-secret-for-the-embed-tests"
STORY_PATH = "/2026/12/harbour-wall"


@pytest.fixture
def host_site(live_server: Any, settings: Settings) -> Iterator[HostSite]:
    """The host site, allowed to embed, with the cookies a cross-site frame needs."""
    # What EMBED_CROSS_SITE_COOKIES=1 sets (Chromium takes Secure cookies from http://localhost).
    settings.SESSION_COOKIE_SAMESITE = settings.CSRF_COOKIE_SAMESITE = "None"
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.EMBED_SSO_SECRETS = ["an-older-secret-being-rolled-over", SSO_SECRET]
    with serve(live_server.url) as site:
        assert site.origin.split(":")[1] != live_server.url.split(":")[1]  # two sites
        EmbedOrigin.objects.create(origin=site.origin)
        yield site


def comment_frame(page: Page) -> Frame:
    page.wait_for_selector("#comments iframe")
    frame = page.frame(url=re.compile(r"/embed/stream\?"))
    assert frame is not None
    return frame


def expect_frame_fits(page: Page, frame: Frame) -> None:
    """The iframe has taken the height its content reported by postMessage (not its 480 px)."""
    content = frame.locator("#embed-root")
    page.wait_for_function(
        "([selector, height]) => Math.abs(document.querySelector(selector)"
        ".getBoundingClientRect().height - height) <= 1",
        arg=["#comments iframe", content.bounding_box()["height"]],  # type: ignore[index]
    )


def sso_token(**claims: Any) -> str:
    now = int(time.time())
    payload = {
        "jti": "6f1c1c1e-embed-test",
        "iat": now,
        "exp": now + 300,
        "user": {"id": "host-user-42", "email": "ada@example.org", "username": "Ada L."},
        **claims,
    }
    return jwt.encode(payload, SSO_SECRET, algorithm="HS256")


def test_it_shows_a_new_storys_comments_in_a_frame_that_fits_them(
    new_page: Callable[[], Page], host_site: HostSite
) -> None:
    page = new_page()
    page.goto(f"{host_site.origin}{STORY_PATH}")
    frame = comment_frame(page)
    expect(frame.get_by_role("heading", name="Add your comments below")).to_be_visible()
    expect(frame.get_by_text("No comments yet. Be the first to add one.")).to_be_visible()

    # The first view created the story, named from the host page's og:title.
    story = Article.objects.get(embed_url=f"{host_site.origin}{STORY_PATH}")
    assert story.title == "Harbour wall reopens after storm repairs"
    expect_frame_fits(page, frame)
    empty = page.locator("#comments iframe").bounding_box()["height"]  # type: ignore[index]
    assert_accessible(frame)

    # Published comments show as on the article page; the frame grows to hold them.
    writer = make_user("writer")
    for n in range(3):
        make_comment(
            article=story, author=writer, body=f"Published comment {n}.", status="published"
        )
    page.reload()
    frame = comment_frame(page)
    expect(frame.get_by_text("Published comment 2.")).to_be_visible()
    expect(frame.get_by_role("heading", name="3 comments")).to_be_visible()
    expect_frame_fits(page, frame)
    grown = page.locator("#comments iframe").bounding_box()["height"]  # type: ignore[index]
    assert grown > empty + 100

    # On a phone the stream fits the frame's width, and the frame follows its new height.
    page.set_viewport_size({"width": 375, "height": 740})
    assert frame.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    expect_frame_fits(page, frame)
    assert_accessible(frame)


def test_it_refuses_to_be_framed_by_a_site_not_allowed(
    live_server: Any, new_page: Callable[[], Page], host_site: HostSite
) -> None:
    EmbedOrigin.objects.all().delete()
    EmbedOrigin.objects.create(origin="https://www.example-news.com")
    page = new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(f"{host_site.origin}{STORY_PATH}")
    page.wait_for_load_state("load")  # the async script, and so its iframe, are in by then
    # Newsroom answered with its refusal page, framable by the allowed site only: Chromium
    # refuses to show it here, so not even the refusal appears.
    assert any("frame-ancestors" in text for text in console), console
    frame = page.frame_locator("#comments iframe")
    expect(frame.get_by_text("Comments unavailable")).to_have_count(0)
    expect(frame.get_by_text("Add your comments")).to_have_count(0)
    assert not Article.objects.filter(embed_url__startswith=host_site.origin).exists()

    # What it says to whoever opens it directly, accessibly.
    page.goto(f"{live_server.url}/embed/stream?url={host_site.origin}{STORY_PATH}")
    expect(page.get_by_text("This site may not embed the comments.")).to_be_visible()
    assert_accessible(page)


def test_it_signs_the_hosts_reader_in_with_its_token_and_they_post(
    new_page: Callable[[], Page], host_site: HostSite
) -> None:
    host_site.sso_token = sso_token()
    page = new_page()
    violations = watch_for_violations(page)  # in the frame too: our strict policy applies there
    page.goto(f"{host_site.origin}{STORY_PATH}")
    frame = comment_frame(page)
    # The frame asked for the token, exchanged it for a session and reloaded, signed in.
    expect(frame.get_by_text("Signed in as Ada L.")).to_be_visible()
    identity = SsoIdentity.objects.select_related("user").get()
    assert (identity.issuer, identity.subject) == (host_site.origin, "host-user-42")
    assert (identity.user.email, identity.user.first_name) == ("ada@example.org", "Ada L.")

    expect_frame_fits(page, frame)
    before = page.locator("#comments iframe").bounding_box()["height"]  # type: ignore[index]
    frame.get_by_role("textbox", name="Your comment").fill("Signed in from the host site.")
    frame.get_by_role("button", name="Post comment").click()
    own = frame.locator("#own-comments")
    expect(own).to_contain_text("Signed in from the host site.")
    expect(own).to_contain_text("awaiting moderation", ignore_case=True)
    posted = Comment.objects.select_related("article").get(body="Signed in from the host site.")
    # Saved as the SSO reader's; its status is the worker's business (a worker started by an
    # earlier test may already have scored it).
    assert posted.author == identity.user
    assert posted.article.embed_url == f"{host_site.origin}{STORY_PATH}"
    # The frame grew to show the new comment.
    expect_frame_fits(page, frame)
    assert page.locator("#comments iframe").bounding_box()["height"] > before  # type: ignore[index]
    assert_accessible(frame)
    assert violations == []

    # The same reader comes back: the same account, not a second one.
    page.context.clear_cookies()
    page.reload()
    expect(comment_frame(page).get_by_text("Signed in as Ada L.")).to_be_visible()
    assert get_user_model().objects.filter(sso_identity__isnull=False).count() == 1


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (lambda: sso_token(exp=int(time.time()) - 120), "This sign-in token has expired"),
        (
            lambda: jwt.encode(
                {"iat": int(time.time()), "exp": int(time.time()) + 60, "user": {"id": "1"}},
                "not-the-hosts-secret-but-as-long-as-one",
                algorithm="HS256",
            ),
            "matches none of this site's SSO secrets",
        ),
    ],
    ids=["expired", "wrongly-signed"],
)
def test_it_refuses_a_bad_token_and_says_why_in_the_frame(
    new_page: Callable[[], Page],
    host_site: HostSite,
    token: Callable[[], str],
    message: str,
) -> None:
    host_site.sso_token = token()
    page = new_page()
    page.goto(f"{host_site.origin}{STORY_PATH}")
    frame = comment_frame(page)
    expect(frame.get_by_role("alert")).to_contain_text(message)
    expect(frame.get_by_text("to join the conversation")).to_be_visible()
    assert not SsoIdentity.objects.exists()
