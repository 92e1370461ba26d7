"""Moderators feature a comment at the head of its conversation (issue 11), audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoCaptureOnCommitCallbacks

from comments.models import Comment, EventAction, ModerationEvent
from comments.services import edit_comment
from tests.factories import make_article, make_comment, make_user

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def test_a_moderator_features_a_comment_and_readers_see_it_first(
    moderator_client: Client,
    moderator: Any,
    client: Client,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    article = make_article()
    make_comment(article=article, author=make_user("ann"), body="early bird", status="published")
    star = make_comment(
        article=article, author=make_user("bob"), body="the gem", status="published"
    )
    url = reverse("moderation:feature", args=[star.pk])
    response = moderator_client.post(url, {"featured": "1", "next": article.get_absolute_url()})
    assert response["Location"] == article.get_absolute_url()
    star.refresh_from_db()
    assert star.featured_at is not None
    event = ModerationEvent.objects.get(comment=star)
    assert (event.action, event.actor) == (EventAction.FEATURED, moderator)

    html = Client().get(article.get_absolute_url()).content.decode()
    featured = html.index('id="featured-comments"')
    assert featured < html.index("early bird") and featured < html.index("the gem")
    assert f'id="featured-comment-{star.pk}"' in html and ">Featured</span>" in html

    # After its commit, the change renders signed-out readers' cached section afresh.
    with django_capture_on_commit_callbacks(execute=True):
        moderator_client.post(url, {"featured": "0"})
    star.refresh_from_db()
    assert star.featured_at is None
    assert ModerationEvent.objects.filter(comment=star, action=EventAction.UNFEATURED).count() == 1
    assert 'id="featured-comments"' not in Client().get(article.get_absolute_url()).content.decode()


def test_it_answers_htmx_with_the_control_and_audits_only_changes(
    moderator_client: Client,
) -> None:
    comment = make_comment(article=make_article(), author=make_user("ann"), status="published")
    url = reverse("moderation:feature", args=[comment.pk])
    html = moderator_client.post(url, {"featured": "1"}, **HX).content.decode()
    assert 'aria-pressed="true"' in html and ">Unfeature</button>" in html
    moderator_client.post(url, {"featured": "1"}, **HX)  # a second click: nothing new
    assert ModerationEvent.objects.filter(comment=comment).count() == 1


@pytest.mark.parametrize("status", ["pending", "held", "rejected"])
def test_only_a_published_comment_can_be_featured(moderator_client: Client, status: str) -> None:
    comment = make_comment(article=make_article(), author=make_user("ann"), status=status)
    url = reverse("moderation:feature", args=[comment.pk])
    html = moderator_client.post(url, {"featured": "1"}, **HX).content.decode()
    assert "Only a published comment can be featured." in html
    assert Comment.objects.get(pk=comment.pk).featured_at is None


def test_readers_cannot_feature_and_visitors_sign_in(client: Client) -> None:
    comment = make_comment(article=make_article(), author=make_user("ann"), status="published")
    url = reverse("moderation:feature", args=[comment.pk])
    assert "/accounts/login/" in client.post(url, {"featured": "1"})["Location"]
    client.force_login(make_user("rita"))
    assert client.post(url, {"featured": "1"}).status_code == 403
    assert not ModerationEvent.objects.exists()


def test_the_queue_card_offers_feature_and_shows_the_edit_history_with_scores_and_diff(
    moderator_client: Client,
) -> None:
    rita = make_user("rita")
    comment = make_comment(
        article=make_article(),
        author=rita,
        body="You are all idiots here",
        status="held",
        scores={"toxicity": 0.81, "spam": 0.02},
        risk=0.81,
    )
    edit_comment(comment=comment, author=rita, body="You are all wrong here")
    Comment.objects.filter(pk=comment.pk).update(
        status="held", scores={"toxicity": 0.33, "spam": 0.02}, risk=0.33, scored_revision=1
    )
    html = moderator_client.get(reverse("moderation:queue")).content.decode()
    assert "Edit history: 2 versions" in html
    assert "toxicity 0.81" in html and "toxicity 0.33" in html
    assert "<del>idiots</del><ins>wrong</ins>" in html
    published = make_comment(article=comment.article, author=rita, status="published")
    ModerationEvent.objects.create(comment=published, action=EventAction.HIDDEN)
    published.reports.create(reporter=make_user("otto"), reason="spam")
    html = moderator_client.get(reverse("moderation:queue") + "?queue=reported").content.decode()
    assert reverse("moderation:feature", args=[published.pk]) in html
