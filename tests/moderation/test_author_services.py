"""Actions on authors: a ban that rejects everything they wrote, in bounded queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article
from comments.models import Comment, EventAction, ModerationEvent, Report
from moderation import services
from tests.factories import make_article, make_moderator, make_user

pytestmark = pytest.mark.django_db


def write_comments(article: Article, author: Any, n: int) -> None:
    statuses = ["pending", "held", "published", "rejected"]
    Comment.objects.bulk_create(
        Comment(article=article, author=author, body=f"c{i}", status=statuses[i % 4])
        for i in range(n)
    )


def ban_queries(author: Any, moderator: Any) -> int:
    with CaptureQueriesContext(connection) as queries:
        services.ban_author(author=author, moderator=moderator, reason="Spam", reject_comments=True)
    return len(queries)


def test_it_bans_and_rejects_any_number_of_comments_in_the_same_queries() -> None:
    article, moderator = make_article(), make_moderator()
    few, many = make_user("few"), make_user("many")
    write_comments(article, few, 8)
    write_comments(article, many, 2000)
    assert ban_queries(few, moderator) == ban_queries(many, moderator)
    assert set(Comment.objects.by_author(many).values_list("status", flat=True)) == {"rejected"}
    rejections = ModerationEvent.objects.filter(action=EventAction.REJECTED, comment__author=many)
    assert rejections.count() == 1500  # every comment not already rejected, one event each
    assert ModerationEvent.objects.get(subject=many).note == "Spam (1500 comments rejected)"


def test_it_resolves_reports_and_unhides_what_a_ban_rejects() -> None:
    article, moderator, author = make_article(), make_moderator(), make_user("troll")
    comment = Comment.objects.create(
        article=article, author=author, status="published", hidden_at=timezone.now()
    )
    Report.objects.create(comment=comment, reporter=make_user("rita"), reason="abusive")
    services.ban_author(author=author, moderator=moderator, reject_comments=True)
    comment.refresh_from_db()
    assert (comment.status, comment.hidden_at) == ("rejected", None)
    assert Report.objects.get().resolved_by == moderator
    assert not Comment.objects.reported().exists()
