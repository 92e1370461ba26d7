"""A moderator keeps a reported comment published: its reports are answered, it shows again."""

from __future__ import annotations

import pytest
from pytest_django import Settings

from comments.models import Comment, ModerationEvent, Report
from comments.services import report_comment
from moderation.services import dismiss_reports
from tests.factories import make_article, make_comment, make_user

pytestmark = pytest.mark.django_db


def test_it_shows_a_hidden_comment_again_when_a_moderator_keeps_it(
    settings: Settings, moderator: object
) -> None:
    settings.MODERATION_HIDE_AFTER_REPORTS = 1
    published = make_comment(
        article=make_article(), author=make_user("writer"), body="Hot <take>", status="published"
    )
    report_comment(comment=published, reporter=make_user("r1"), reason="spam")
    kept = dismiss_reports(comment=published, moderator=moderator)
    assert kept.hidden_at is None and kept.is_visible
    assert not Comment.objects.reported().exists()
    assert Report.objects.get().resolved_by == moderator
    event = ModerationEvent.objects.filter(actor=moderator).get()
    assert (event.action, event.from_status, event.to_status) == (
        "approved",
        "published",
        "published",
    )
