from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import make_article, make_comment, make_user

pytestmark = pytest.mark.django_db


def test_it_lists_articles_newest_first_with_their_comment_counts(client: Client) -> None:
    older = make_article(
        "older", title="Older story", published_at=timezone.now() - timedelta(days=1)
    )
    make_article("newer", title="Newer story")
    make_comment(article=older, author=make_user(), status="published")
    make_comment(article=older, author=make_user("bob"), status="held")
    html = client.get("/").content.decode()
    assert html.index("Newer story") < html.index("Older story")
    assert "1 comment" in html


def test_it_leaves_out_articles_scheduled_for_later(client: Client) -> None:
    make_article("later", title="Embargoed story", published_at=timezone.now() + timedelta(hours=1))
    assert "Embargoed story" not in client.get("/").content.decode()
    assert client.get("/articles/later/").status_code == 404


def test_it_says_how_to_load_the_launch_story_when_there_are_none(client: Client) -> None:
    assert "manage.py load_demo" in client.get("/").content.decode()
