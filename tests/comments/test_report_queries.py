"""The reads the moderation queue builds on: reports, hidden comments, an author's record."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article
from comments.models import Comment, CommentStatus, Report, ReportReason, WordRule
from tests.factories import make_article, make_comment, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def article() -> Article:
    return make_article()


def report(comment: Comment, reporter_name: str, **fields: object) -> Report:
    return Report.objects.create(
        comment=comment, reporter=make_user(reporter_name), reason=ReportReason.SPAM, **fields
    )


def test_it_lists_comments_with_open_reports_published_ones_included(article: Article) -> None:
    author = make_user()
    published = make_comment(article=article, author=author, status=CommentStatus.PUBLISHED)
    held = make_comment(article=article, author=author, status=CommentStatus.HELD)
    resolved = make_comment(article=article, author=author, status=CommentStatus.PUBLISHED)
    make_comment(article=article, author=author, status=CommentStatus.PUBLISHED)
    report(published, "r1")
    report(published, "r2")
    report(held, "r3")
    report(resolved, "r4", resolved_at=timezone.now())

    reported = Comment.objects.reported().with_report_counts().order_by("id")
    assert [(c.pk, c.open_report_count) for c in reported] == [(published.pk, 2), (held.pk, 1)]


def test_it_prefetches_open_reports_in_one_query(article: Article) -> None:
    comment = make_comment(article=article, author=make_user(), status=CommentStatus.PUBLISHED)
    report(comment, "r1")
    report(comment, "r2", resolved_at=timezone.now())
    with CaptureQueriesContext(connection) as queries:
        [loaded] = Comment.objects.with_open_reports()
        assert [r.reporter.username for r in loaded.open_reports] == ["r1"]
    assert len(queries) == 2


def test_it_allows_one_report_per_reader_per_comment(article: Article) -> None:
    comment = make_comment(article=article, author=make_user(), status=CommentStatus.PUBLISHED)
    reporter = make_user("reporter")
    Report.objects.create(comment=comment, reporter=reporter, reason=ReportReason.SPAM)
    with pytest.raises(IntegrityError):
        Report.objects.create(comment=comment, reporter=reporter, reason=ReportReason.OTHER)


def test_it_hides_reported_comments_from_the_public_only(article: Article) -> None:
    author = make_user()
    shown = make_comment(article=article, author=author, status=CommentStatus.PUBLISHED)
    make_comment(
        article=article, author=author, status=CommentStatus.PUBLISHED, hidden_at=timezone.now()
    )
    assert list(Comment.objects.visible()) == [shown]
    assert Comment.objects.hidden_by_reports().count() == 1


def test_it_annotates_the_authors_record_in_the_same_query(article: Article) -> None:
    troll, newcomer = make_user("troll"), make_user("newcomer")
    for status in ["published", "rejected", "rejected", "rejected", "held"]:
        make_comment(article=article, author=troll, status=status)
    make_comment(article=article, author=newcomer, status="held")

    with CaptureQueriesContext(connection) as queries:
        record = {
            c.author.username: (
                c.author_comment_count,
                c.author_rejection_count,
                round(c.author_rejection_rate, 2),
            )
            for c in Comment.objects.held().with_author_record().select_related("author")
        }
    assert len(queries) == 1
    assert record == {"troll": (5, 3, 0.75), "newcomer": (1, 0, 0.0)}


def test_it_keeps_one_word_rule_per_phrase_whatever_its_case() -> None:
    WordRule.objects.create(phrase="Idiot", kind="banned")
    with pytest.raises(IntegrityError):
        WordRule.objects.create(phrase="idiot", kind="suspect")


def test_it_closes_comments_automatically_after_the_set_days() -> None:
    old = make_article(
        "old", published_at=timezone.now() - timedelta(days=8), close_comments_after_days=7
    )
    recent = make_article(
        "recent", published_at=timezone.now() - timedelta(days=6), close_comments_after_days=7
    )
    forever = make_article("forever", published_at=timezone.now() - timedelta(days=800))
    assert (old.accepts_comments, recent.accepts_comments, forever.accepts_comments) == (
        False,
        True,
        True,
    )
