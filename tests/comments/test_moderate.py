from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from comments.models import Comment, ModerationEvent
from tests.factories import make_article, make_comment, make_moderator, make_user

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def url(comment: Comment, action: str) -> str:
    return reverse("comments:moderate", kwargs={"pk": comment.pk, "action": action})


@pytest.fixture
def held() -> Comment:
    return make_comment(article=make_article(), author=make_user(), status="held")


@pytest.fixture
def moderator_client(client: Client) -> Client:
    client.force_login(make_moderator())
    return client


def test_it_approves_and_redirects_back_without_javascript(
    moderator_client: Client, held: Comment
) -> None:
    response = moderator_client.post(url(held, "approve"), {"expected_status": "held"})
    assert response.status_code == 302
    assert response["Location"] == reverse("comments:moderation-queue")
    held.refresh_from_db()
    assert held.status == "published"
    event = ModerationEvent.objects.get(comment=held)
    assert event.actor is not None and event.actor.username == "mona"
    assert event.action == "approved"


def test_it_rejects_with_htmx_and_returns_the_updated_row(
    moderator_client: Client, held: Comment
) -> None:
    response = moderator_client.post(url(held, "reject"), {"expected_status": "held"}, **HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="queue-comment-{held.pk}"' in html
    assert "Rejected" in html
    assert "Approve</button>" not in html
    assert Comment.objects.get(pk=held.pk).status == "rejected"


def test_it_takes_decided_comments_out_of_the_queue(
    moderator_client: Client, held: Comment
) -> None:
    moderator_client.post(url(held, "approve"))
    assert held.body not in moderator_client.get("/moderation/").content.decode()


def test_it_says_so_when_another_moderator_decided_first(
    moderator_client: Client, held: Comment
) -> None:
    held.status = "rejected"
    held.save()
    response = moderator_client.post(url(held, "approve"), {"expected_status": "held"}, **HX)
    assert "Not changed: this comment is already rejected." in response.content.decode()
    assert Comment.objects.get(pk=held.pk).status == "rejected"
    assert not ModerationEvent.objects.exists()
    plain = moderator_client.post(url(held, "approve"), {"expected_status": "held"}, follow=True)
    assert "Not changed: this comment is already rejected." in plain.content.decode()


def test_it_answers_404_for_an_unknown_action(moderator_client: Client, held: Comment) -> None:
    assert moderator_client.post(url(held, "delete")).status_code == 404
    assert (
        moderator_client.post(
            reverse("comments:moderate", kwargs={"pk": 999, "action": "approve"})
        ).status_code
        == 404
    )


def test_it_refuses_get(moderator_client: Client, held: Comment) -> None:
    assert moderator_client.get(url(held, "approve")).status_code == 405


@pytest.mark.parametrize("headers", [{}, HX])
def test_it_forbids_readers(client: Client, held: Comment, headers: dict[str, str]) -> None:
    client.force_login(make_user("rita"))
    assert client.post(url(held, "approve"), **headers).status_code == 403
    assert Comment.objects.get(pk=held.pk).status == "held"


def test_it_sends_anonymous_visitors_to_sign_in(client: Client, held: Comment) -> None:
    response = client.post(url(held, "approve"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
