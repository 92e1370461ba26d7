"""Every moderation URL of the queue, htmx and bulk included: readers 403, visitors sign in."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from comments.models import Comment, ModerationEvent
from tests.factories import make_article, make_comment, make_user

pytestmark = pytest.mark.django_db


def queue_urls(comment: Comment) -> list[tuple[str, str]]:
    """(method, url) for every URL the queue serves."""
    return [
        ("get", reverse("moderation:queue")),
        ("get", reverse("moderation:changes")),
        ("post", reverse("moderation:bulk")),
        ("post", reverse("moderation:bulk-undo")),
        ("post", reverse("moderation:undo", args=[comment.pk])),
        ("post", reverse("moderation:feature", args=[comment.pk])),
        *[
            ("post", reverse("moderation:decide", args=[comment.pk, action]))
            for action in ("approve", "reject", "restore", "dismiss")
        ],
    ]


@pytest.fixture
def comment() -> Comment:
    return make_comment(article=make_article(), author=make_user("alice"), status="held")


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_it_forbids_readers_everywhere(client: Client, comment: Comment, htmx: bool) -> None:
    client.force_login(make_user("rita"))
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    data = {"decision": "approve", "scope": "matching", "reason": "spam"}
    for method, url in queue_urls(comment):
        response = getattr(client, method)(url, data if method == "post" else {}, **headers)
        assert response.status_code == 403, url
    assert Comment.objects.get(pk=comment.pk).status == "held"
    assert not ModerationEvent.objects.exists()


def test_it_sends_visitors_to_sign_in_everywhere(client: Client, comment: Comment) -> None:
    for method, url in queue_urls(comment):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url
