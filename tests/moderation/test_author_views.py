"""The author drawer: record, history and notes; suspend, ban, pre-moderate, reinstate."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from comments.models import (
    AuthorNote,
    AuthorStanding,
    Comment,
    EventAction,
    ModerationEvent,
    Report,
)
from tests.factories import (
    make_article,
    make_comment,
    make_established_reader,
    make_moderator,
    make_user,
)

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
BAN = {"reason": "Abuse", "confirm": "on"}
ACTIONS = ["note", "suspend", "ban", "premoderate", "reinstate"]
VALID = {
    "note": {"body": "Warned by email on Monday."},
    "suspend": {"days": "3", "reason": "Heated thread"},
    "ban": {"reason": "Repeated abuse", "confirm": "on"},
    "premoderate": {"reason": ""},
    "reinstate": {"reason": "Appeal accepted"},
}


@pytest.fixture
def author() -> Any:
    return make_user("troll")


def detail_url(author: Any) -> str:
    return reverse("moderation:author", kwargs={"pk": author.pk})


def action_url(author: Any, action: str) -> str:
    return reverse(f"moderation:author-{action}", kwargs={"pk": author.pk})


def test_it_shows_the_authors_record_history_and_notes_as_a_page(
    moderator_client: Client, author: Any
) -> None:
    article = make_article()
    for status in ["published", "rejected", "rejected", "held"]:
        make_comment(article=article, author=author, status=status, body=f"<b>{status}</b>")
    AuthorNote.objects.create(author=author, written_by=None, body="<script>x</script>")
    html = moderator_client.get(detail_url(author)).content.decode()
    assert "<h1" in html and "troll" in html
    assert "<dt>Rejection rate</dt><dd>67%</dd>" in html
    assert "&lt;b&gt;rejected&lt;/b&gt;" in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>x" not in html
    assert "In good standing" in html


def test_it_shows_the_authors_record_as_a_reporter(moderator_client: Client, author: Any) -> None:
    article = make_article()
    for n in range(2):
        comment = make_comment(article=article, author=make_user(f"writer{n}"), status="published")
        Report.objects.create(comment=comment, reporter=author, reason="spam")
    html = moderator_client.get(detail_url(author)).content.decode()
    assert "<dt>Reports made</dt><dd>2 (2 open)</dd>" in html
    assert (
        "Their reports do not count towards hiding a comment: account younger than 3 days." in html
    )
    veteran = make_established_reader("veteran", article=article)
    html = moderator_client.get(detail_url(veteran)).content.decode()
    assert "<dt>Reports made</dt><dd>0</dd>" in html
    assert "Their reports count towards hiding a comment." in html


def test_it_renders_the_panel_alone_for_the_drawer(moderator_client: Client, author: Any) -> None:
    response = moderator_client.get(detail_url(author), **HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="author-panel"')
    assert "<html" not in html
    assert "Open as a page" in html


def test_it_reads_the_panel_in_a_constant_number_of_queries(
    moderator_client: Client, author: Any
) -> None:
    article = make_article()

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            moderator_client.get(detail_url(author), **HX)
        return len(queries)

    few = count()
    moderator = make_moderator("max")
    for i in range(15):
        make_comment(article=article, author=author, status="published", body=f"c{i}")
        AuthorNote.objects.create(author=author, written_by=moderator, body=f"n{i}")
        ModerationEvent.objects.create(subject=author, actor=moderator, action="author_note")
    assert count() == few


@pytest.mark.parametrize("action", ACTIONS)
def test_it_acts_and_audits_without_javascript(
    moderator_client: Client, author: Any, action: str
) -> None:
    response = moderator_client.post(action_url(author, action), VALID[action], follow=True)
    assert response.redirect_chain[-1][0] == detail_url(author)
    assert "message--success" in response.content.decode()
    event = ModerationEvent.objects.get(subject=author)
    assert event.actor is not None and event.actor.username == "mona"
    assert event.comment is None


def test_it_suspends_for_the_chosen_days_with_htmx(moderator_client: Client, author: Any) -> None:
    response = moderator_client.post(action_url(author, "suspend"), VALID["suspend"], **HX)
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="author-panel"')
    assert "troll is suspended until" in html
    standing = AuthorStanding.objects.get(author=author)
    assert standing.suspended_until is not None
    expected = timezone.now() + timedelta(days=3)
    assert abs((standing.suspended_until - expected).total_seconds()) < 60
    event = ModerationEvent.objects.get(subject=author)
    assert event.action == EventAction.AUTHOR_SUSPENDED
    assert event.note.startswith("Until ") and event.note.endswith(": Heated thread")


def test_it_bans_and_rejects_every_comment_of_the_author_when_asked(
    moderator_client: Client, author: Any
) -> None:
    article = make_article()
    bystander = make_comment(article=article, author=make_user("kind"), status="published")
    for status in ["pending", "held", "published", "rejected"]:
        make_comment(article=article, author=author, status=status)
    response = moderator_client.post(
        action_url(author, "ban"), {**BAN, "reject_comments": "on"}, **HX
    )
    assert "troll is banned. 3 comments rejected." in response.content.decode()
    assert set(Comment.objects.by_author(author).values_list("status", flat=True)) == {"rejected"}
    assert Comment.objects.get(pk=bystander.pk).status == "published"
    rejections = ModerationEvent.objects.filter(action=EventAction.REJECTED)
    assert sorted(rejections.values_list("from_status", flat=True)) == [
        "held",
        "pending",
        "published",
    ]
    assert ModerationEvent.objects.get(action=EventAction.AUTHOR_BANNED).note == (
        "Abuse (3 comments rejected)"
    )


def test_it_bans_without_touching_comments_by_default(
    moderator_client: Client, author: Any
) -> None:
    comment = make_comment(article=make_article(), author=author, status="published")
    moderator_client.post(action_url(author, "ban"), BAN, **HX)
    assert Comment.objects.get(pk=comment.pk).status == "published"
    assert AuthorStanding.objects.get(author=author).is_banned


def test_it_updates_the_queue_beside_the_drawer_when_a_ban_rejects_the_comments(
    moderator_client: Client, author: Any
) -> None:
    article = make_article()
    held = [make_comment(article=article, author=author, status="held") for _ in range(2)]
    other = make_comment(article=article, author=make_user("kind"), status="held")
    unseen = make_comment(article=article, author=author, status="held")  # on another page
    # What the drawer's ban form sends from the queue: its filters and its cards (hx-include).
    queue = {"queue": "held", "q": "", "shown": [held[0].pk, held[1].pk, other.pk]}
    data = {**BAN, "reject_comments": "on", **queue}
    html = moderator_client.post(action_url(author, "ban"), data, **HX).content.decode()
    assert "troll is banned. 3 comments rejected." in html
    for comment in held:
        assert f'<li id="queue-comment-{comment.pk}" hx-swap-oob="delete"></li>' in html
    assert f"queue-comment-{other.pk}" not in html and f"queue-comment-{unseen.pk}" not in html
    assert '<span id="count-held" class="count" hx-swap-oob="true">1</span>' in html
    assert '<span id="count-rejected" class="count" hx-swap-oob="true">3</span>' in html
    assert "someone else" not in html
    # The queue's next poll does not announce them as someone else's decisions either.
    changes = moderator_client.get("/moderation/changes/", queue, **HX).content.decode()
    assert "someone else" not in changes


def test_it_offers_only_reinstate_for_a_banned_author(
    moderator_client: Client, author: Any
) -> None:
    html = moderator_client.get(detail_url(author), **HX).content.decode()
    assert ">Ban troll</button>" in html and ">Suspend</button>" in html
    moderator_client.post(action_url(author, "ban"), BAN, **HX)
    for answer in (
        moderator_client.post(action_url(author, "ban"), BAN, **HX),
        moderator_client.get(detail_url(author), **HX),
        moderator_client.get(detail_url(author)),
    ):
        html = answer.content.decode()
        assert ">Reinstate</button>" in html
        assert ">Ban troll</button>" not in html and ">Suspend</button>" not in html
        assert ">Pre-moderate</button>" not in html
    # Without the queue beside it (the author's own page), nothing else is sent.
    assert (
        "hx-swap-oob"
        not in moderator_client.post(action_url(author, "ban"), BAN, **HX).content.decode()
    )


def test_it_reinstates_an_author_fully(moderator_client: Client, author: Any) -> None:
    AuthorStanding.objects.create(
        author=author,
        banned_at=timezone.now(),
        ban_reason="x",
        suspended_until=timezone.now() + timedelta(days=1),
        always_premoderate=True,
    )
    moderator_client.post(action_url(author, "reinstate"), VALID["reinstate"], **HX)
    standing = AuthorStanding.objects.get(author=author)
    assert (standing.banned_at, standing.suspended_until, standing.always_premoderate) == (
        None,
        None,
        False,
    )


@pytest.mark.parametrize(
    ("action", "data", "error"),
    [
        ("note", {"body": "  "}, "Write the note first: it is empty."),
        ("note", {"body": "x" * 2001}, "Notes are limited to 2000 characters."),
        ("suspend", {}, "Choose how long the suspension lasts."),
        ("suspend", {"days": "9999"}, "Choose one of the listed durations."),
        ("suspend", {"days": "soon"}, "Choose one of the listed durations."),
        ("ban", {"reason": "", "confirm": "on"}, "Give a reason: the author is told why they"),
        ("ban", {"reason": "Abuse"}, "Tick the box to confirm the ban."),
        ("reinstate", {"reason": "x" * 301}, "at most 300 characters"),
    ],
)
def test_it_explains_bad_input_and_changes_nothing(
    moderator_client: Client, author: Any, action: str, data: dict[str, str], error: str
) -> None:
    plain = moderator_client.post(action_url(author, action), data)
    assert plain.status_code == 400
    assert error in plain.content.decode()
    htmx = moderator_client.post(action_url(author, action), data, **HX)
    assert htmx.status_code == 200
    assert error in htmx.content.decode()
    assert not ModerationEvent.objects.exists()
    assert not AuthorStanding.objects.filter(banned_at__isnull=False).exists()


def test_it_answers_404_for_an_unknown_author(moderator_client: Client) -> None:
    assert moderator_client.get("/moderation/authors/987654/").status_code == 404
    assert (
        moderator_client.post("/moderation/authors/987654/ban/", {"reason": "x"}).status_code == 404
    )


def all_urls(author: Any) -> list[tuple[str, str]]:
    return [("get", detail_url(author))] + [("post", action_url(author, a)) for a in ACTIONS]


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_it_forbids_readers_every_author_url(client: Client, author: Any, htmx: bool) -> None:
    client.force_login(make_user("rita"))
    for method, path in all_urls(author):
        response = getattr(client, method)(path, **(HX if htmx else {}))
        assert response.status_code == 403, path
    assert not ModerationEvent.objects.exists()


def test_it_sends_anonymous_visitors_to_sign_in(client: Client, author: Any) -> None:
    for method, path in all_urls(author):
        response = getattr(client, method)(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(reverse("login")), path


def test_it_refuses_get_on_actions(moderator_client: Client, author: Any) -> None:
    assert moderator_client.get(action_url(author, "ban")).status_code == 405


def test_it_gives_every_field_of_the_panel_its_own_id(
    moderator_client: Client, author: Any
) -> None:
    # Several forms share field names ("reason"): labels must still point at their own field.
    html = moderator_client.get(detail_url(author), **HX).content.decode()
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    assert 'for="id_ban_reason"' in html and 'for="id_suspend_reason"' in html
