"""Comments' reads and derived values: reports, records, decisions, backlog, undo."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django import Settings

from articles.models import Article
from comments.audit import record_comment_event
from comments.models import (
    AuthorRecord,
    Comment,
    CommentStatus,
    Decision,
    EventAction,
    ModerationEvent,
    Report,
    ReportReason,
    WordRule,
)
from tests.factories import make_article, make_comment, make_moderator, make_user

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


def test_it_reads_every_authors_record_in_one_query(article: Article) -> None:
    troll, newcomer, silent = make_user("troll"), make_user("newcomer"), make_user("silent")
    for status in ["published", "rejected", "rejected", "rejected", "held"]:
        make_comment(article=article, author=troll, status=status)
    make_comment(article=article, author=newcomer, status="held")

    with CaptureQueriesContext(connection) as queries:
        records = Comment.objects.author_records([troll.pk, newcomer.pk, silent.pk])

    assert len(queries) == 1
    assert records[troll.pk] == AuthorRecord(comments=5, published=1, held=1, rejected=3)
    assert (records[troll.pk].decided, records[troll.pk].rejection_rate) == (4, 0.75)
    assert records[newcomer.pk].rejection_rate is None  # nothing decided yet
    assert records[silent.pk] == AuthorRecord()


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


@pytest.mark.parametrize(
    ("status", "reported", "decisions"),
    [
        ("pending", False, [Decision.APPROVE, Decision.REJECT]),
        ("held", False, [Decision.APPROVE, Decision.REJECT]),
        ("held", True, [Decision.APPROVE, Decision.REJECT]),
        ("published", False, [Decision.REJECT]),
        ("published", True, [Decision.DISMISS, Decision.REJECT]),
        ("rejected", False, [Decision.RESTORE]),
    ],
)
def test_it_offers_the_decisions_its_status_allows(
    article: Article, status: str, reported: bool, decisions: list[Decision]
) -> None:
    comment = make_comment(article=article, author=make_user(), status=status)
    if reported:
        report(comment, "reporter")

    assert Comment.objects.get(pk=comment.pk).decisions_available == decisions
    annotated = Comment.objects.with_report_counts().get(pk=comment.pk)
    assert annotated.decisions_available == decisions


def test_it_counts_comments_stuck_waiting_by_when_they_were_posted(article: Article) -> None:
    author, long_ago = make_user(), timezone.now() - timedelta(minutes=5)
    # Re-enqueued by the sweeper a moment ago, but posted five minutes ago: still stuck.
    make_comment(article=article, author=author, created_at=long_ago)
    make_comment(article=article, author=author)
    make_comment(article=article, author=author, status="held", created_at=long_ago)

    backlog = Comment.objects.scoring_backlog(stuck_after=timedelta(minutes=1))

    assert backlog == {"pending": 2, "stuck": 1}
    assert Comment.objects.due_for_scoring_again(timedelta(minutes=1)).count() == 0


def test_it_leaves_out_comments_someone_else_acted_on_since(article: Article) -> None:
    mona, otto, author = make_moderator(), make_moderator("otto"), make_user()
    seen_at = timezone.now()
    untouched, own, others, systems = (
        make_comment(article=article, author=author, status="held") for _ in range(4)
    )
    for comment, actor in [(own, mona), (others, otto), (systems, None)]:
        record_comment_event(
            comment=comment,
            actor=actor,
            action=EventAction.APPROVED,
            from_status="held",
            to_status="held",
        )

    still = Comment.objects.unchanged_by_others_since(seen_at, moderator=mona)

    assert set(still) == {untouched, own}


def test_it_lists_the_decisions_a_moderator_may_still_undo(
    article: Article, settings: Settings
) -> None:
    settings.MODERATION_UNDO_SECONDS = 10
    mona, otto, author = make_moderator(), make_moderator("otto"), make_user()

    def decide(actor: Any, *, seconds_ago: int = 0) -> ModerationEvent:
        comment = make_comment(article=article, author=author, status="held")
        return ModerationEvent.objects.create(
            comment=comment,
            actor=actor,
            action=EventAction.APPROVED,
            created_at=timezone.now() - timedelta(seconds=seconds_ago),
        )

    earlier = decide(mona, seconds_ago=5)
    latest = decide(mona)
    decide(mona, seconds_ago=30)  # too late
    decide(otto)  # someone else's
    overtaken = decide(mona)
    ModerationEvent.objects.create(
        comment=overtaken.comment, actor=otto, action=EventAction.REJECTED
    )

    assert list(ModerationEvent.objects.undoable_by(mona)) == [latest, earlier]
