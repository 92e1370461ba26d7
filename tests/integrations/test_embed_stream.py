"""/embed/stream, /embed.js and /embed/sso: the embed's routes, without a browser."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from django.test import Client
from pytest_django import Settings

from articles.models import Article
from comments.models import Comment
from integrations.models import EmbedOrigin, SsoIdentity
from tests.factories import make_comment, make_user

pytestmark = pytest.mark.django_db

HOST = "https://news.example.com"
STORY = f"{HOST}/2026/12/harbour-wall"
SECRET = "the-host-sites-shared-secret-at-least-32-bytes"


@pytest.fixture(autouse=True)
def allowed(db: None) -> None:
    EmbedOrigin.objects.create(origin=HOST)
    EmbedOrigin.objects.create(origin="https://syndication.example.org")


def stream(
    client: Client, url: str = STORY, title: str = "Harbour wall reopens", **more: str
) -> Any:
    return client.get("/embed/stream", {"url": url, "title": title, "parent": HOST, **more})


def test_it_creates_the_story_on_first_view_and_shows_its_comment_section(client: Client) -> None:
    response = stream(client, url=f"{STORY}#comments")

    assert response.status_code == 200
    story = Article.objects.get()
    assert story.embed_url == STORY  # without the fragment
    assert story.title == "Harbour wall reopens"
    assert story.slug.startswith("harbour-wall-reopens-")
    page = response.content.decode()
    assert 'id="comments"' in page and "Add your comments below" in page
    assert f'data-parent-origin="{HOST}"' in page


def test_it_lets_exactly_the_allowed_sites_frame_it(client: Client) -> None:
    response = stream(client)

    csp = response["Content-Security-Policy"]
    assert "frame-ancestors https://news.example.com https://syndication.example.org" in csp
    assert "X-Frame-Options" not in response
    # Everywhere else, nobody may frame us.
    home = client.get("/")
    assert home["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in home["Content-Security-Policy"]


def test_it_shows_an_existing_story_under_its_first_title(client: Client) -> None:
    stream(client)
    story = Article.objects.get()
    make_comment(article=story, author=make_user(), body="Published here.", status="published")

    page = stream(client, title="A page that would rename the story").content.decode()

    assert Article.objects.count() == 1
    assert Article.objects.get().title == "Harbour wall reopens"
    assert "Published here." in page


def test_it_bounds_and_cleans_the_hosts_title(client: Client) -> None:
    stream(client, title="  Line\none\x00\u200b  " + "x" * 400)

    title = Article.objects.get().title
    assert title.startswith("Line one") and "\x00" not in title and "\n" not in title
    assert len(title) == 300


def test_it_names_a_story_without_a_title_by_its_address(client: Client) -> None:
    stream(client, title="")

    assert Article.objects.get().title == STORY


def test_it_creates_at_most_so_many_stories_for_a_site_in_an_hour(
    client: Client, settings: Settings
) -> None:
    settings.EMBED_NEW_STORIES_PER_HOUR = 2
    assert stream(client, url=f"{HOST}/one").status_code == 200
    assert stream(client, url=f"{HOST}/two").status_code == 200

    refused = stream(client, url=f"{HOST}/three")

    assert refused.status_code == 429
    assert Article.objects.count() == 2
    assert stream(client, url=f"{HOST}/one").status_code == 200  # existing stories still show
    assert stream(client, url="https://syndication.example.org/a").status_code == 200


def test_it_refuses_a_story_of_a_site_not_allowed(client: Client) -> None:
    response = stream(client, url="https://elsewhere.example.net/story")

    assert response.status_code == 403
    assert "may not embed" in response.content.decode()
    assert not Article.objects.exists()


@pytest.mark.parametrize("url", ["", "not a url", "javascript:alert(1)", f"{HOST}/{'a' * 2000}"])
def test_it_refuses_a_story_without_a_proper_address(client: Client, url: str) -> None:
    assert stream(client, url=url).status_code == 400
    assert not Article.objects.exists()


def test_it_does_not_message_a_parent_that_is_not_allowed(client: Client) -> None:
    page = stream(client, parent="https://evil.example").content.decode()

    assert 'data-parent-origin=""' in page


def test_it_serves_the_script_at_a_stable_address(client: Client) -> None:
    response = client.get("/embed.js")

    assert response.status_code == 302
    assert response["Location"].endswith("js/embed.js")


def sign_in(client: Client, token: str, parent: str = HOST) -> Any:
    return client.post("/embed/sso", {"token": token, "parent": parent})


def host_token(**user: str) -> str:
    now = int(time.time())
    claims = {"id": "42", "email": "ada@example.org", "username": "Ada L.", **user}
    return jwt.encode({"iat": now, "exp": now + 120, "user": claims}, SECRET, "HS256")


def test_it_creates_the_hosts_reader_once_and_signs_them_in(
    client: Client, settings: Settings
) -> None:
    settings.EMBED_SSO_SECRETS = [SECRET]

    response = sign_in(client, host_token())

    assert response.status_code == 200
    identity = SsoIdentity.objects.select_related("user").get()
    assert (identity.issuer, identity.subject) == (HOST, "42")
    user = identity.user
    assert (user.username, user.first_name, user.email) == ("Ada-L.", "Ada L.", "ada@example.org")
    assert not user.has_usable_password()
    assert int(client.session["_auth_user_id"]) == user.pk

    # Next time, the same account, with the host's latest name and address.
    again = Client()
    assert sign_in(again, host_token(username="Ada", email="ada@new.example")).status_code == 200
    user.refresh_from_db()
    assert (SsoIdentity.objects.count(), user.first_name, user.email) == (
        1,
        "Ada",
        "ada@new.example",
    )


def test_it_keeps_readers_of_two_sites_apart_and_our_usernames_unique(
    client: Client, settings: Settings
) -> None:
    settings.EMBED_SSO_SECRETS = [SECRET]
    make_user("Ada-L.")

    sign_in(client, host_token())
    sign_in(Client(), host_token(), parent="https://syndication.example.org")

    users = [i.user for i in SsoIdentity.objects.select_related("user").order_by("id")]
    assert len({u.pk for u in users}) == 2
    assert all(u.username.startswith("Ada-L.-") for u in users)


def test_it_refuses_a_bad_token_with_its_reason(client: Client, settings: Settings) -> None:
    settings.EMBED_SSO_SECRETS = [SECRET]
    now = int(time.time())
    expired = jwt.encode({"iat": now - 400, "exp": now - 100, "user": {}}, SECRET, "HS256")

    response = sign_in(client, expired)

    assert response.status_code == 403
    assert "expired" in response.json()["error"]
    assert "_auth_user_id" not in client.session
    assert not SsoIdentity.objects.exists()


def test_it_refuses_sign_in_for_a_site_not_allowed(client: Client, settings: Settings) -> None:
    settings.EMBED_SSO_SECRETS = [SECRET]

    assert sign_in(client, host_token(), parent="https://evil.example").status_code == 403
    assert not SsoIdentity.objects.exists()


def test_it_needs_the_frames_csrf_token(settings: Settings) -> None:
    settings.EMBED_SSO_SECRETS = [SECRET]

    assert sign_in(Client(enforce_csrf_checks=True), host_token()).status_code == 403
    assert not SsoIdentity.objects.exists()


def test_it_marks_the_cross_site_cookies_partitioned(client: Client, settings: Settings) -> None:
    settings.EMBED_SSO_SECRETS = [SECRET]
    settings.SESSION_COOKIE_SAMESITE = settings.CSRF_COOKIE_SAMESITE = "None"
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True

    response = sign_in(client, host_token())

    header = response.cookies["sessionid"].OutputString()
    assert "SameSite=None" in header and "Secure" in header and header.endswith("; Partitioned")
    assert Comment.objects.count() == 0
    # Same-site (the default) leaves them as they were.
    settings.SESSION_COOKIE_SAMESITE = "Lax"
    assert "Partitioned" not in sign_in(Client(), host_token()).cookies["sessionid"].OutputString()
