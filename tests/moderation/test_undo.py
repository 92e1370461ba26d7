from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import Settings

from comments import services
from comments.models import Comment, EventAction, ModerationEvent, Report
from moderation.services import CannotUndo, dismiss_reports, undo_decision
from tests.factories import (
    make_article,
    make_comment,
    make_established_reader,
    make_moderator,
    make_user,
)

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def undo_url(comment: Comment) -> str:
    return reverse("moderation:undo", kwargs={"pk": comment.pk})


@pytest.mark.parametrize(
    ("decide", "start"),
    [
        (services.approve_comment, "held"),
        (lambda **kw: services.reject_comment(reason="spam", **kw), "held"),
        (lambda **kw: services.reject_comment(reason="spam", **kw), "published"),
        (services.restore_comment, "rejected"),
    ],
    ids=["approve", "reject-held", "reject-published", "restore"],
)
def test_it_returns_the_comment_to_where_it_was(
    moderator: Any, decide: Callable[..., Comment], start: str
) -> None:
    comment = make_comment(article=make_article(), author=make_user(), status=start)
    decide(comment=comment, moderator=moderator)
    undone = undo_decision(comment=comment, moderator=moderator)
    assert undone.status == start
    last = ModerationEvent.objects.order_by("-id").first()
    assert last is not None
    assert last.action == EventAction.UNDONE
    assert (last.to_status, last.actor) == (start, moderator)


def test_it_refuses_after_the_window(moderator: Any, held: Comment, settings: Settings) -> None:
    settings.MODERATION_UNDO_SECONDS = 10
    services.approve_comment(comment=held, moderator=moderator)
    with pytest.raises(CannotUndo, match="Too late to undo"):
        undo_decision(comment=held, moderator=moderator, now=timezone.now() + timedelta(seconds=11))
    assert Comment.objects.get(pk=held.pk).status == "published"


def test_it_refuses_another_moderators_decision(moderator: Any, held: Comment) -> None:
    services.approve_comment(comment=held, moderator=moderator)
    with pytest.raises(CannotUndo):
        undo_decision(comment=held, moderator=make_moderator("otto"))


def test_it_refuses_when_the_decision_is_no_longer_the_last_word(
    moderator: Any, held: Comment
) -> None:
    services.approve_comment(comment=held, moderator=moderator)
    services.reject_comment(comment=held, moderator=make_moderator("otto"), reason="spam")
    with pytest.raises(CannotUndo):
        undo_decision(comment=held, moderator=moderator)
    assert Comment.objects.get(pk=held.pk).status == "rejected"


def test_it_cannot_undo_twice(moderator: Any, held: Comment) -> None:
    services.approve_comment(comment=held, moderator=moderator)
    undo_decision(comment=held, moderator=moderator)
    with pytest.raises(CannotUndo):
        undo_decision(comment=held, moderator=moderator)


def test_it_reopens_the_reports_the_decision_resolved(moderator: Any) -> None:
    comment = make_comment(article=make_article(), author=make_user(), status="published")
    Report.objects.create(comment=comment, reporter=make_user("rita"), reason="spam")
    services.reject_comment(comment=comment, moderator=moderator, reason="spam")
    assert not Report.objects.open().exists()
    undo_decision(comment=comment, moderator=moderator)
    assert Report.objects.open().count() == 1


def test_it_hides_again_a_comment_its_reopened_reports_had_hidden(
    moderator: Any, settings: Settings
) -> None:
    settings.MODERATION_HIDE_AFTER_REPORTS = 2
    comment = make_comment(
        article=make_article(), author=make_user(), status="published", hidden_at=timezone.now()
    )
    for reader in ("rita", "ravi"):
        reporter = make_established_reader(reader, article=comment.article)
        Report.objects.create(comment=comment, reporter=reporter, reason="spam")
    dismiss_reports(comment=comment, moderator=moderator)
    assert Comment.objects.get(pk=comment.pk).hidden_at is None
    undo_decision(comment=comment, moderator=moderator)
    comment.refresh_from_db()
    assert comment.hidden_at is not None and not comment.is_visible
    assert list(comment.events.values_list("action", flat=True))[-2:] == ["undone", "hidden"]


def test_it_undoes_from_the_card_with_htmx(client: Client, moderator: Any, held: Comment) -> None:
    client.force_login(moderator)
    client.post(reverse("moderation:decide", args=[held.pk, "approve"]), **HX)
    response = client.post(undo_url(held), **HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Undone: the comment is as it was before." in html
    assert "Approve</button>" in html  # actionable again
    assert Comment.objects.get(pk=held.pk).status == "held"


def test_it_offers_undo_on_the_page_without_javascript(
    client: Client, moderator: Any, held: Comment
) -> None:
    client.force_login(moderator)
    page = client.post(
        reverse("moderation:decide", args=[held.pk, "approve"]),
        {"next": "/moderation/"},
        follow=True,
    )
    html = page.content.decode()
    assert "You approved the comment by alice." in html
    assert f'action="{undo_url(held)}"' in html
    back = client.post(undo_url(held), {"next": "/moderation/"}, follow=True)
    assert "Undone" in back.content.decode()
    assert f'action="{undo_url(held)}"' not in back.content.decode()  # nothing left to undo
    assert Comment.objects.get(pk=held.pk).status == "held"


def test_it_says_why_it_cannot_undo(client: Client, moderator: Any, held: Comment) -> None:
    client.force_login(moderator)
    response = client.post(undo_url(held), **HX)
    assert "There is no decision of yours to undo" in response.content.decode()
    plain = client.post(undo_url(held), follow=True)
    assert "There is no decision of yours to undo" in plain.content.decode()
    assert client.post(reverse("moderation:undo", args=[999])).status_code == 404
