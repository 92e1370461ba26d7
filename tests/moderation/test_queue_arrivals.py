"""The queue's live additions: "3 new: show", the comments that joined the view since shown."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from comments.models import Comment, Report
from tests.factories import make_article, make_comment, make_user

pytestmark = pytest.mark.django_db

CHANGES = "/moderation/changes/"
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def shown_at() -> Any:
    return timezone.now() - timedelta(minutes=1)


def held(*, decided_at: Any, risk: float = 0.5, **fields: Any) -> Comment:
    article = fields.pop("article", None) or make_article(f"story-{Comment.objects.count()}")
    comment = make_comment(
        article=article,
        author=fields.pop("author", None) or make_user(f"author-{Comment.objects.count()}"),
        status="held",
        risk=risk,
        decided_at=decided_at,
        **fields,
    )
    # Posted a moment before the model held it, as in life.
    Comment.objects.filter(pk=comment.pk).update(created_at=decided_at - timedelta(seconds=1))
    return comment


def test_it_offers_the_comments_held_since_the_page_was_shown(
    moderator_client: Client, shown_at: Any
) -> None:
    on_page = held(decided_at=shown_at - timedelta(minutes=5))
    held(decided_at=shown_at + timedelta(seconds=10))
    held(decided_at=shown_at + timedelta(seconds=20))
    held(decided_at=shown_at - timedelta(minutes=3))  # on a later page, not new

    response = moderator_client.get(
        CHANGES, {"queue": "held", "shown": [on_page.pk], "since": shown_at.isoformat()}, **HX
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert '<p id="queue-new" class="queue-new" hx-swap-oob="true">2 new: ' in html
    assert 'href="/moderation/?queue=held"' in html
    assert 'hx-target="#queue-results"' in html
    assert "2 new comments in this view." in html


def test_it_counts_only_what_the_queue_and_its_filters_hold(
    moderator_client: Client, shown_at: Any
) -> None:
    later = shown_at + timedelta(seconds=10)
    held(decided_at=later, body="about the casino")
    held(decided_at=later, body="about the weather")
    published = make_comment(
        article=make_article("open"),
        author=make_user("pat"),
        status="published",
        decided_at=later,
    )

    html = moderator_client.get(
        CHANGES, {"queue": "held", "q": "casino", "since": shown_at.isoformat()}, **HX
    ).content.decode()
    assert "1 new: " in html

    Report.objects.create(comment=published, reporter=make_user("rex"), reason="spam")
    html = moderator_client.get(
        CHANGES, {"queue": "reported", "since": shown_at.isoformat()}, **HX
    ).content.decode()
    assert "1 new: " in html


def test_nothing_new_empties_the_offer(moderator_client: Client, shown_at: Any) -> None:
    held(decided_at=shown_at - timedelta(minutes=5))
    html = moderator_client.get(
        CHANGES, {"queue": "held", "since": shown_at.isoformat()}, **HX
    ).content.decode()
    assert '<p id="queue-new" class="queue-new" hx-swap-oob="true"></p>' in html
    # A page from before this change sends no time: it is answered as before, with no offer.
    html = moderator_client.get(CHANGES, {"queue": "held"}, **HX).content.decode()
    assert "new: " not in html


@pytest.mark.parametrize("since", ["soon", "2026-01-01T10:00:00"])
def test_it_refuses_a_malformed_or_naive_time(moderator_client: Client, since: str) -> None:
    response = moderator_client.get(CHANGES, {"queue": "held", "since": since}, **HX)
    assert response.status_code == 400


def test_readers_and_visitors_cannot_poll_it(client: Client, shown_at: Any) -> None:
    params = {"queue": "held", "since": shown_at.isoformat()}
    assert client.get(CHANGES, params, **HX).status_code == 302  # to sign in
    client.force_login(make_user("rita"))
    assert client.get(CHANGES, params, **HX).status_code == 403


def test_the_queue_page_sends_the_time_it_was_shown(moderator_client: Client) -> None:
    html = moderator_client.get("/moderation/").content.decode()
    assert 'id="queue-since" name="since" value="' in html
    assert 'hx-include=".queue-card [name=shown], #queue-since"' in html
    assert '<p id="queue-new" class="queue-new"></p>' in html
