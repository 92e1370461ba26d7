from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from comments.models import Comment, ModerationEvent, Report
from tests.factories import make_article, make_comment, make_user

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def url(comment: Comment, action: str) -> str:
    return reverse("moderation:decide", kwargs={"pk": comment.pk, "action": action})


def test_it_approves_and_redirects_back_without_javascript(
    moderator_client: Client, held: Comment
) -> None:
    response = moderator_client.post(url(held, "approve"), {"expected_status": "held"})
    assert response.status_code == 302
    assert response["Location"] == reverse("moderation:queue")
    held.refresh_from_db()
    assert held.status == "published"
    event = ModerationEvent.objects.get(comment=held)
    assert event.actor is not None and event.actor.username == "mona"
    assert event.action == "approved"


def test_it_returns_to_the_filtered_queue_it_came_from(
    moderator_client: Client, held: Comment
) -> None:
    back = "/moderation/?q=word&sort=newest"
    response = moderator_client.post(url(held, "approve"), {"next": back})
    assert response["Location"] == back
    elsewhere = moderator_client.post(
        url(held, "reject"), {"reason": "spam", "next": "https://evil.example/moderation/"}
    )
    assert elsewhere["Location"] == reverse("moderation:queue")


def test_it_rejects_with_a_reason_and_stores_it_for_training(
    moderator_client: Client, held: Comment
) -> None:
    response = moderator_client.post(
        url(held, "reject"), {"expected_status": "held", "reason": "spam"}, **HX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="queue-comment-{held.pk}"' in html
    assert "queue-card--decided" in html
    assert "You rejected the comment by alice." in html
    assert "Undo</button>" in html
    assert "Approve</button>" not in html
    assert Comment.objects.get(pk=held.pk).status == "rejected"
    event = ModerationEvent.objects.get(comment=held)
    assert (event.action, event.reject_reason) == ("rejected", "spam")


@pytest.mark.parametrize("reason", ["", "rude", "ABUSIVE"])
def test_it_refuses_to_reject_without_a_known_reason(
    moderator_client: Client, held: Comment, reason: str
) -> None:
    plain = moderator_client.post(url(held, "reject"), {"reason": reason})
    assert plain.status_code == 400
    assert "reason" in plain.content.decode().lower()
    htmx = moderator_client.post(url(held, "reject"), {"reason": reason}, **HX)
    assert htmx.status_code == 200  # htmx swaps 2xx only: the card shows the error
    assert 'role="alert"' in htmx.content.decode()
    assert Comment.objects.get(pk=held.pk).status == "held"
    assert not ModerationEvent.objects.exists()


def test_it_restores_a_rejected_comment(moderator_client: Client) -> None:
    rejected = make_comment(article=make_article(), author=make_user(), status="rejected")
    response = moderator_client.post(
        url(rejected, "restore"), {"expected_status": "rejected"}, **HX
    )
    assert "You restored the comment by alice." in response.content.decode()
    assert Comment.objects.get(pk=rejected.pk).status == "published"
    assert ModerationEvent.objects.get(comment=rejected).action == "restored"


def test_it_restores_only_rejected_comments(moderator_client: Client, held: Comment) -> None:
    response = moderator_client.post(url(held, "restore"), **HX)
    assert "Not changed: this comment is already held for review." in response.content.decode()
    assert Comment.objects.get(pk=held.pk).status == "held"


def test_it_offers_the_actions_each_status_allows(moderator_client: Client) -> None:
    article, author = make_article(), make_user()
    published = make_comment(article=article, author=author, status="published")
    rejected = make_comment(article=article, author=author, status="rejected")
    html = moderator_client.get("/moderation/", {"queue": "all"}).content.decode()
    published_card = html.split(f'id="queue-comment-{published.pk}"')[1].split("</li>")[0]
    rejected_card = html.split(f'id="queue-comment-{rejected.pk}"')[1].split("</li>")[0]
    assert "Reject</button>" in published_card and "Approve</button>" not in published_card
    assert "Restore</button>" in rejected_card and "Reject</button>" not in rejected_card


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
            reverse("moderation:decide", kwargs={"pk": 999, "action": "approve"})
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


def test_it_keeps_a_reported_comment_published_and_dismisses_its_reports(
    moderator_client: Client,
) -> None:
    reported = make_comment(article=make_article(), author=make_user(), status="published")
    Report.objects.create(comment=reported, reporter=make_user("rita"), reason="spam")
    page = moderator_client.get("/moderation/", {"queue": "reported"}).content.decode()
    assert "Keep published</button>" in page
    response = moderator_client.post(
        url(reported, "dismiss"), {"expected_status": "published"}, **HX
    )
    assert "You kept the comment by alice published" in response.content.decode()
    assert Comment.objects.get(pk=reported.pk).status == "published"
    assert not Report.objects.open().exists()


def test_it_offers_keep_published_only_for_reported_comments(moderator_client: Client) -> None:
    make_comment(article=make_article(), author=make_user(), status="published")
    page = moderator_client.get("/moderation/", {"queue": "published"}).content.decode()
    assert "Keep published</button>" not in page
