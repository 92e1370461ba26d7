"""The workspace's integrations pages: API keys, Coral's requests, the embed's allowed sites."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from comments.models import ClassifierModel
from integrations import services
from integrations.models import ApiKey, CoralModerationRequest, EmbedOrigin
from tests.factories import make_user
from tests.integrations.coral_wire import coral_signature, moderation_request

pytestmark = pytest.mark.django_db

KEYS = "/moderation/integrations/keys/"
CORAL = "/moderation/integrations/coral/"
ORIGINS = "/moderation/integrations/embed/"


@pytest.fixture
def reader_client(client: Client) -> Client:
    client.force_login(make_user("rita"))
    return client


@pytest.mark.parametrize("url", [KEYS, CORAL, ORIGINS])
def test_it_sends_visitors_to_sign_in_and_refuses_readers(
    client: Client, reader_client: Client, url: str
) -> None:
    assert Client().get(url).status_code == 302
    assert reader_client.get(url).status_code == 403
    if url != CORAL:  # a page of GETs only
        posted = reader_client.post(url, {"name": "x", "origin": "https://a.example"})
        assert posted.status_code == 403
    assert not ApiKey.objects.exists() and not EmbedOrigin.objects.exists()


def test_it_creates_a_key_and_shows_it_once(moderator_client: Client) -> None:
    response = moderator_client.post(KEYS, {"name": "coral", "rate_limit_per_minute": "120"})

    assert response.status_code == 200
    raw = response.context["created"][1]
    api_key = ApiKey.objects.get(name="coral")
    assert services.authenticate_api_key(raw=raw) == api_key
    assert api_key.limit_per_minute == 120
    assert raw in response.content.decode()
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    # Never again: the list shows its prefix only.
    again = moderator_client.get(KEYS).content.decode()
    assert raw not in again and f"nk_{api_key.prefix}_…" in again


def test_it_refuses_a_key_without_a_name_or_with_a_name_taken(moderator_client: Client) -> None:
    services.create_api_key(name="coral")

    assert moderator_client.post(KEYS, {"name": ""}).status_code == 400
    response = moderator_client.post(KEYS, {"name": "coral"})

    assert response.status_code == 400
    assert "exists already" in response.content.decode()
    assert ApiKey.objects.count() == 1


def test_it_lists_each_keys_use_and_revokes_one(client: Client, moderator_client: Client) -> None:
    api_key, raw = services.create_api_key(name="coral")
    for _ in range(3):
        client.post(f"/v1alpha1/comments:analyze?key={raw}", data=b"{}", content_type="x")

    page = moderator_client.get(KEYS)
    row = next(r for r in page.context["keys"] if r["key"] == api_key)
    assert row["requests"] == 3 and row["last_used"] is not None
    assert "3 requests" in page.content.decode()

    response = moderator_client.post(f"{KEYS}{api_key.pk}/revoke/")

    assert response.status_code == 302
    api_key.refresh_from_db()
    assert api_key.is_revoked
    assert services.authenticate_api_key(raw=raw) is None
    assert moderator_client.get(f"{KEYS}{api_key.pk}/revoke/").status_code == 405


def test_it_lists_corals_requests_with_the_answer_and_why_but_never_the_text(
    client: Client,
    moderator_client: Client,
    active_model: ClassifierModel,
    coral_secret: str,
) -> None:
    text = "you are a stupid idiot and everyone hates you"
    body = moderation_request(body=text)
    assert (
        client.post(
            "/integrations/coral/moderate",
            data=body,
            content_type="application/json",
            headers={"X-Coral-Signature": coral_signature(body, coral_secret)},
        ).status_code
        == 200
    )
    logged = CoralModerationRequest.objects.get()

    page = moderator_client.get(CORAL).content.decode()

    assert logged.status in page and logged.get_status_display() in page
    assert "COMMENT_DETECTED_TOXIC" in page
    assert f"Model v{active_model.version}" in page
    assert text not in page and "stupid" not in page


def test_it_allows_a_site_by_its_origin_and_removes_it(moderator_client: Client) -> None:
    response = moderator_client.post(ORIGINS, {"origin": "HTTPS://News.Example.com:443/"})

    assert response.status_code == 302
    allowed = EmbedOrigin.objects.get()
    assert allowed.origin == "https://news.example.com"
    assert "https://news.example.com" in moderator_client.get(ORIGINS).content.decode()

    moderator_client.post(f"{ORIGINS}{allowed.pk}/remove/")
    assert not EmbedOrigin.objects.exists()


@pytest.mark.parametrize(
    "bad", ["news.example.com", "ftp://news.example.com", "https://news.example.com/story", ""]
)
def test_it_refuses_anything_but_an_origin(moderator_client: Client, bad: Any) -> None:
    response = moderator_client.post(ORIGINS, {"origin": bad})

    assert response.status_code == 400
    assert not EmbedOrigin.objects.exists()


def test_it_refuses_a_site_allowed_already(moderator_client: Client) -> None:
    services.allow_embed_origin(origin="https://news.example.com")

    response = moderator_client.post(ORIGINS, {"origin": "https://news.example.com"})

    assert response.status_code == 400
    assert "allowed already" in response.content.decode()
