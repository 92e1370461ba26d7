"""The audit log, the dashboard and the waiting-time banner on moderation pages."""

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
from pytest_django import Settings

from comments.models import ClassifierModel, EventAction, ModerationEvent
from tests.factories import make_article, make_comment, make_moderator, make_user

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
AUDIT = reverse("moderation:audit")
DASHBOARD = reverse("moderation:dashboard")


@pytest.fixture
def events(moderator: Any) -> dict[str, ModerationEvent]:
    max_ = make_moderator("max")
    troll = make_user("<troll>")
    comment = make_comment(article=make_article(), author=troll, body="<b>shouting</b>")
    return {
        "scored": ModerationEvent.objects.create(
            comment=comment, action=EventAction.SCORED, from_status="pending", to_status="held"
        ),
        "rejected": ModerationEvent.objects.create(
            comment=comment,
            actor=moderator,
            action=EventAction.REJECTED,
            from_status="held",
            to_status="rejected",
            reject_reason="abusive",
        ),
        "banned": ModerationEvent.objects.create(
            subject=troll, actor=max_, action=EventAction.AUTHOR_BANNED, note="Abuse"
        ),
        "rule": ModerationEvent.objects.create(
            actor=moderator, action=EventAction.RULE_CHANGED, note="Added banned word “x”."
        ),
    }


def listed(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr id="event-(\d+)">', html)]


def test_it_lists_who_did_what_and_when_newest_first(
    moderator_client: Client, events: dict[str, ModerationEvent]
) -> None:
    html = moderator_client.get(AUDIT).content.decode().split('id="audit-results"')[1]
    assert "4 events." in html
    assert listed(html) == [events[n].pk for n in ["rule", "banned", "rejected", "scored"]]
    assert "&lt;troll&gt;" in html and "<troll>" not in html
    assert "&lt;b&gt;shouting&lt;/b&gt;" in html
    assert "Held for review → Rejected" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"action": "author_banned"}, ["banned"]),
        ({"moderator": "system"}, ["scored"]),
        ({"action": "rule_changed", "moderator": "mona"}, ["rule"]),
    ],
)
def test_it_filters_by_moderator_and_action(
    moderator_client: Client,
    events: dict[str, ModerationEvent],
    moderator: Any,
    query: dict[str, str],
    expected: list[str],
) -> None:
    if query.get("moderator") == "mona":
        query = {**query, "moderator": str(moderator.pk)}
    response = moderator_client.get(AUDIT, query, **HX)
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="audit-results"')
    assert f"{len(expected)} event{'s' if len(expected) != 1 else ''}." in html
    assert listed(html) == [events[name].pk for name in expected]


@pytest.mark.parametrize(
    "query", [{"action": "exploded"}, {"moderator": "99999"}, {"moderator": "x"}]
)
def test_it_explains_bad_filters_and_lists_everything(
    moderator_client: Client, events: dict[str, ModerationEvent], query: dict[str, str]
) -> None:
    response = moderator_client.get(AUDIT, query)
    assert response.status_code == 400
    assert "Select a valid choice." in response.content.decode()
    assert len(listed(response.content.decode())) == 4


def test_it_pages_the_log_in_a_constant_number_of_queries(
    moderator_client: Client, moderator: Any
) -> None:
    article = make_article()

    def queries_for_a_page() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert moderator_client.get(AUDIT).status_code == 200
        return len(queries)

    for i in range(3):
        comment = make_comment(article=article, author=make_user(f"u{i}"))
        ModerationEvent.objects.create(comment=comment, actor=moderator, action="approved")
    few = queries_for_a_page()
    for i in range(60):
        comment = make_comment(article=article, author=make_user(f"v{i}"))
        ModerationEvent.objects.create(comment=comment, actor=moderator, action="approved")
        ModerationEvent.objects.create(
            subject=comment.author, actor=moderator, action="author_note"
        )
    assert queries_for_a_page() == few
    second = moderator_client.get(AUDIT, {"page": "2", "action": "approved"}).content.decode()
    assert "Page 2 of 2" in second and "?page=1&amp;action=approved" in second


def test_it_draws_the_dashboard_as_svg_with_its_figures(
    moderator_client: Client, events: dict[str, ModerationEvent]
) -> None:
    response = moderator_client.get(DASHBOARD)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<svg") == 3
    assert "Comments per hour" in html and "Precision" in html and "Recall" in html
    assert '<th scope="row">mona</th><td>0</td><td>1</td>' in html
    assert "Held for a moderator: 1 (100%)" in html
    assert "<script" not in html.split("<main", 1)[1]


def test_it_draws_an_empty_dashboard(moderator_client: Client) -> None:
    html = moderator_client.get(DASHBOARD).content.decode()
    assert "No moderator decisions in the last 7 days." in html
    assert "No comments were scored in the last 7 days." in html
    assert "The active model has no identity-term figures" in html


def test_it_shows_the_active_models_worst_five_identity_terms(moderator_client: Client) -> None:
    worst = [
        {"term": term, "subgroup_auc": 0.9, "bpsn_auc": 0.7 + i / 100, "bnsp_auc": 0.95}
        for i, term in enumerate(["gay", "muslim", "black", "deaf", "jewish", "old"])
    ]
    fairness = {"bias_score": 0.9123, "min_bpsn_auc": 0.7, "worst_terms": worst}
    ClassifierModel.objects.create(
        version=3, is_active=True, metrics={"toxicity": {"fairness": fairness}}
    )
    html = moderator_client.get(DASHBOARD).content.decode()
    assert "model v3" in html and "bias score <strong>0.912</strong>" in html
    assert re.findall(r'<th scope="row">(\w+)</th><td>0.900</td>', html) == [
        "gay",
        "muslim",
        "black",
        "deaf",
        "jewish",
    ]


def test_it_reads_the_dashboard_in_a_constant_number_of_queries(
    moderator_client: Client, events: dict[str, ModerationEvent]
) -> None:
    with CaptureQueriesContext(connection) as queries:
        moderator_client.get(DASHBOARD)
    # Session and user, the permission check, the page's aggregates (one per figure, two for the
    # appeals by reason, one for the nudges' outcomes; the queue's state three, each through an
    # index), the active version for the scoring banner and its identity-term figures, and the
    # bell's count.
    assert len(queries) <= 19


def test_it_warns_moderators_when_a_held_comment_waited_too_long(
    moderator_client: Client, settings: Settings
) -> None:
    settings.MODERATION_WAIT_ALERT_SECONDS = 3600
    article, author = make_article(), make_user()
    make_comment(
        article=article,
        author=author,
        status="held",
        created_at=timezone.now() - timedelta(minutes=50),
    )
    assert (
        "The oldest held comment has waited" not in moderator_client.get(DASHBOARD).content.decode()
    )
    make_comment(
        article=article,
        author=author,
        status="held",
        created_at=timezone.now() - timedelta(hours=2),
    )
    for page in [
        DASHBOARD,
        AUDIT,
        reverse("moderation:rules"),
        reverse("moderation:queue"),
    ]:
        html = moderator_client.get(page).content.decode()
        assert "The oldest held comment has waited 2\xa0hours" in html, page
        assert "2 comments held in all" in html
    # Not on public pages, where readers would see it.
    assert (
        "The oldest held comment"
        not in moderator_client.get(article.get_absolute_url()).content.decode()
    )


def test_it_spares_pages_without_the_banner_its_query(
    moderator_client: Client, moderator: Any
) -> None:
    with CaptureQueriesContext(connection) as queries:
        moderator_client.get(AUDIT, **HX)
    assert not any("MIN(" in q["sql"].upper() for q in queries)


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_it_forbids_readers_the_oversight_pages(client: Client, htmx: bool) -> None:
    client.force_login(make_user("rita"))
    for url in [AUDIT, DASHBOARD]:
        assert client.get(url, **(HX if htmx else {})).status_code == 403


def test_it_sends_anonymous_visitors_to_sign_in(client: Client) -> None:
    for url in [AUDIT, DASHBOARD]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
