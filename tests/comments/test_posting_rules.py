"""Who may post where: banned and suspended authors, closed and auto-closed articles."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, CommentPolicy
from comments import scoring
from comments.models import AuthorStanding, Comment
from tests.factories import make_article, make_comment, make_user

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def reader(client: Client) -> Any:
    user = make_user("rita")
    client.force_login(user)
    return user


def post(client: Client, article: Article, **headers: Any) -> Any:
    return client.post(
        reverse("comments:post", kwargs={"slug": article.slug}), {"body": "Hello"}, **headers
    )


def test_it_tells_a_banned_reader_why_they_cannot_post(client: Client, reader: Any) -> None:
    AuthorStanding.objects.create(author=reader, banned_at=timezone.now(), ban_reason="Abuse")
    article = make_article()
    message = "Your account has been banned from commenting: Abuse"
    plain = post(client, article)
    assert plain.status_code == 400
    assert message in plain.content.decode()
    assert message in post(client, article, **HX).content.decode()
    assert not Comment.objects.exists()
    # On the article page the form gives way to the reason.
    page = client.get(article.get_absolute_url()).content.decode()
    assert message in page and 'id="comment-form"' not in page


def test_it_tells_a_suspended_reader_when_they_may_post_again(client: Client, reader: Any) -> None:
    until = timezone.now() + timedelta(days=3)
    AuthorStanding.objects.create(author=reader, suspended_until=until)
    html = post(client, make_article(), **HX).content.decode()
    assert "Your account is suspended from commenting until " in html
    assert until.strftime("%-d %B %Y, %H:%M") in html
    assert not Comment.objects.exists()


def test_it_lets_a_reader_post_once_a_suspension_is_over(client: Client, reader: Any) -> None:
    AuthorStanding.objects.create(author=reader, suspended_until=timezone.now() - timedelta(1))
    assert post(client, make_article()).status_code == 302
    assert Comment.objects.count() == 1


def test_it_refuses_comments_on_a_closed_article(client: Client, reader: Any) -> None:
    article = make_article(policy=CommentPolicy.CLOSED)
    assert "Comments are closed on this article." in post(client, article).content.decode()
    assert not Comment.objects.exists()


def test_it_refuses_comments_once_an_article_closes_by_itself(client: Client, reader: Any) -> None:
    published = timezone.now() - timedelta(days=10)
    article = make_article(published_at=published, close_comments_after_days=7)
    closed_on = (published + timedelta(days=7)).strftime("%-d %B %Y")
    message = f"Comments on this article closed on {closed_on}."
    assert message in post(client, article, **HX).content.decode()
    assert message in client.get(article.get_absolute_url()).content.decode()
    assert not Comment.objects.exists()


def test_it_holds_every_comment_of_a_premoderated_author(reader: Any) -> None:
    AuthorStanding.objects.create(author=reader, always_premoderate=True)
    comment = make_comment(article=make_article(), author=reader)
    decided = scoring.score_comment(comment_id=comment.pk)
    assert decided is not None
    assert (decided.status, decided.reason_codes) == ("held", ["unscored", "author_premoderated"])
