"""The queue's live refresh: fresh counts, and the cards others decided meanwhile."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from comments import services
from comments.models import Comment
from tests.factories import make_article, make_comment, make_moderator, make_user

pytestmark = pytest.mark.django_db

CHANGES = "/moderation/changes/"
HX = {"HTTP_HX_REQUEST": "true"}


def make_held(count: int) -> list[Comment]:
    article, author = make_article(), make_user()
    return [
        make_comment(article=article, author=author, status="held", risk=0.5) for _ in range(count)
    ]


def test_it_removes_the_cards_others_decided_and_keeps_the_rest(
    moderator_client: Client,
) -> None:
    first, second, third = make_held(3)
    services.approve_comment(comment=second, moderator=make_moderator("otto"))
    response = moderator_client.get(
        CHANGES, {"queue": "held", "shown": [first.pk, second.pk, third.pk]}, **HX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<li id="queue-comment-{second.pk}" hx-swap-oob="delete"></li>' in html
    assert f"queue-comment-{first.pk}" not in html
    assert f"queue-comment-{third.pk}" not in html
    assert "1 comment has left this view: decided by someone else." in html
    assert '<span id="count-held" class="count" hx-swap-oob="true">2</span>' in html
    assert '<span id="count-published" class="count" hx-swap-oob="true">1</span>' in html


def test_it_does_not_tell_a_moderator_their_own_decisions_came_from_someone_else(
    moderator_client: Client, moderator: Any
) -> None:
    mine, others, kept = make_held(3)
    # Decided elsewhere by this moderator (another tab, a ban with its comments rejected).
    services.reject_comment(comment=mine, moderator=moderator, reason="spam")
    services.approve_comment(comment=others, moderator=make_moderator("otto"))
    response = moderator_client.get(
        CHANGES, {"queue": "held", "shown": [mine.pk, others.pk, kept.pk]}, **HX
    )
    html = response.content.decode()
    assert f'<li id="queue-comment-{mine.pk}" hx-swap-oob="delete"></li>' in html
    assert f'<li id="queue-comment-{others.pk}" hx-swap-oob="delete"></li>' in html
    assert "1 comment has left this view: decided by someone else." in html
    services.approve_comment(comment=kept, moderator=moderator)
    html = moderator_client.get(CHANGES, {"shown": [mine.pk, kept.pk]}, **HX).content.decode()
    assert html.count('hx-swap-oob="delete"') == 2
    assert "someone else" not in html


def test_it_keeps_the_filters_when_it_decides_what_left(moderator_client: Client) -> None:
    (comment,) = make_held(1)
    # Still held, but no longer matching the moderator's search: it leaves that view too.
    response = moderator_client.get(CHANGES, {"q": "nowhere", "shown": [comment.pk]}, **HX)
    assert f'<li id="queue-comment-{comment.pk}" hx-swap-oob="delete">' in response.content.decode()


def test_it_changes_nothing_when_nothing_changed(moderator_client: Client) -> None:
    (comment,) = make_held(1)
    html = moderator_client.get(CHANGES, {"shown": [comment.pk]}, **HX).content.decode()
    assert 'hx-swap-oob="delete"' not in html
    assert "left this view" not in html


@pytest.mark.parametrize("params", [{"shown": ["1", "x"]}, {"queue": "nope"}, {"min_score": "-1"}])
def test_it_answers_bad_input_with_400(moderator_client: Client, params: dict[str, object]) -> None:
    assert moderator_client.get(CHANGES, params, **HX).status_code == 400


def test_the_page_polls_it_with_its_filters_and_cards(moderator_client: Client) -> None:
    make_held(1)
    html = moderator_client.get("/moderation/", {"q": "reply"}).content.decode()
    assert 'hx-get="/moderation/changes/?q=reply"' in html
    assert 'hx-include=".queue-card [name=shown], #queue-since"' in html
    assert "every 10s" in html
