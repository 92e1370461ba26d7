"""The dashboard's figures and the waiting-time alert, from the audit trail and comments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django import Settings

from comments.models import Comment, EventAction, ModerationEvent
from comments.services import approve_comment, reject_comment
from moderation import oversight
from moderation.services import undo_decision
from tests.factories import make_article, make_comment, make_moderator, make_user

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 12, 30, tzinfo=UTC)


def scored(comment: Comment, to_status: str, risk: float) -> Comment:
    """Record the model's decision on `comment`, as score_comment does."""
    Comment.objects.filter(pk=comment.pk).update(status=to_status, risk=risk)
    ModerationEvent.objects.create(
        comment=comment, action=EventAction.SCORED, from_status="pending", to_status=to_status
    )
    comment.refresh_from_db()
    return comment


def decided(comment: Comment, moderator: Any, action: str, to_status: str) -> None:
    ModerationEvent.objects.create(
        comment=comment,
        actor=moderator,
        action=action,
        from_status=comment.status,
        to_status=to_status,
    )
    Comment.objects.filter(pk=comment.pk).update(status=to_status)


def test_it_alerts_only_when_the_oldest_held_comment_waited_too_long(settings: Settings) -> None:
    settings.MODERATION_WAIT_ALERT_SECONDS = 3600
    article, author = make_article(), make_user()
    make_comment(
        article=article, author=author, status="held", created_at=NOW - timedelta(minutes=59)
    )
    assert oversight.wait_alert(NOW) is None
    make_comment(
        article=article, author=author, status="pending", created_at=NOW - timedelta(hours=5)
    )
    assert oversight.wait_alert(NOW) is None
    make_comment(
        article=article, author=author, status="held", created_at=NOW - timedelta(minutes=61)
    )
    with CaptureQueriesContext(connection) as queries:
        alert = oversight.wait_alert(NOW)
    assert len(queries) == 1
    assert alert is not None
    assert (alert.held, alert.waited) == (2, timedelta(minutes=61))


def test_it_counts_comments_in_each_of_the_last_hours_including_empty_ones() -> None:
    article, author = make_article(), make_user()
    for minutes_ago in [5, 20, 95, 60 * 47 + 10, 60 * 49]:
        make_comment(
            article=article, author=author, created_at=NOW - timedelta(minutes=minutes_ago)
        )
    hours = oversight.comments_per_hour(48, NOW)
    assert len(hours) == 48
    assert hours[-1] == (datetime(2026, 11, 23, 12, tzinfo=UTC), 2)
    assert hours[-2][1] == 0 and hours[-3][1] == 1
    assert hours[0] == (datetime(2026, 11, 21, 13, tzinfo=UTC), 1)
    assert sum(n for _, n in hours) == 4  # the one 49 hours ago is outside


def test_it_counts_each_moderators_decisions_busiest_first() -> None:
    article, author = make_article(), make_user()
    mona, max_ = make_moderator("mona"), make_moderator("max")
    for moderator, action, to_status in [
        (mona, "approved", "published"),
        (mona, "rejected", "rejected"),
        (max_, "restored", "published"),
    ]:
        comment = make_comment(article=article, author=author, status="held")
        decided(comment, moderator, action, to_status)
    # Not a decision on a comment.
    ModerationEvent.objects.create(subject=author, actor=max_, action=EventAction.AUTHOR_NOTE)
    assert oversight.decisions_per_moderator(timezone.now() - timedelta(days=1)) == [
        oversight.ModeratorDecisions("mona", 1, 1, 0),
        oversight.ModeratorDecisions("max", 0, 0, 1),
    ]


def test_it_counts_only_the_decisions_that_still_stand() -> None:
    article, author, mona = make_article(), make_user(), make_moderator("mona")
    comments = [make_comment(article=article, author=author, status="held") for _ in range(7)]
    for comment in comments:
        approve_comment(comment=comment, moderator=mona)
    for comment in comments[:3]:
        undo_decision(comment=comment, moderator=mona)
    # Undone, then decided again: the second decision stands.
    reject_comment(comment=comments[0], moderator=mona, reason="spam")
    assert oversight.decisions_per_moderator(timezone.now() - timedelta(days=1)) == [
        oversight.ModeratorDecisions("mona", 4, 1, 0)
    ]


def test_it_splits_the_automatic_decisions() -> None:
    article, author = make_article(), make_user()
    for status in ["published", "published", "held", "rejected"]:
        scored(make_comment(article=article, author=author), status, 0.1)
    shares = oversight.automatic_shares(timezone.now() - timedelta(days=1))
    assert (shares.published, shares.held, shares.rejected, shares.total) == (2, 1, 1, 4)
    assert shares.share(shares.published) == 0.5


def test_it_measures_the_model_against_moderators_decisions() -> None:
    article, author, mona = make_article(), make_user(), make_moderator()

    def comment(model_status: str, risk: float) -> Comment:
        return scored(make_comment(article=article, author=author), model_status, risk)

    # Flagged (risk >= 0.5) and rejected by a moderator: a true positive, twice.
    decided(comment("held", 0.8), mona, "rejected", "rejected")
    decided(comment("held", 0.6), mona, "rejected", "rejected")
    # Flagged but a moderator published it: a false positive (also an overturned auto-reject).
    decided(comment("rejected", 0.97), mona, "restored", "published")
    # Not flagged but rejected (an auto-published comment removed): a false negative.
    decided(comment("published", 0.2), mona, "rejected", "rejected")
    # Not flagged and published: a true negative.
    decided(comment("held", 0.35), mona, "approved", "published")
    # Decided by the model alone: outside the comparison, inside the overturn denominators.
    comment("published", 0.1)
    comment("rejected", 0.99)

    with CaptureQueriesContext(connection) as queries:
        agreement = oversight.model_agreement(timezone.now() - timedelta(days=1))
    assert len(queries) == 2
    assert (
        agreement.flagged_harmful,
        agreement.flagged_acceptable,
        agreement.missed_harmful,
        agreement.passed_acceptable,
    ) == (2, 1, 1, 1)
    assert agreement.precision == pytest.approx(2 / 3)
    assert agreement.recall == pytest.approx(2 / 3)
    assert (agreement.auto_published, agreement.auto_published_removed) == (2, 1)
    assert (agreement.auto_rejected, agreement.auto_rejected_restored) == (2, 1)
    assert agreement.overturn_rate == pytest.approx(2 / 4)


def test_it_reports_no_rates_without_decisions() -> None:
    agreement = oversight.model_agreement(timezone.now() - timedelta(days=7))
    assert (agreement.precision, agreement.recall, agreement.overturn_rate) == (None, None, None)
