from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries, Settings

from comments.models import ClassifierModel, Comment, Report
from tests.conftest import Heartbeats
from tests.factories import make_article, make_comment, make_established_reader, make_user

pytestmark = pytest.mark.django_db

QUEUE = "/moderation/"
HX = {"HTTP_HX_REQUEST": "true"}


_numbers = itertools.count()


def held(body: str, *, risk: float | None = None, **fields: Any) -> Comment:
    if "article" not in fields:
        fields["article"] = make_article(f"story-{next(_numbers)}")
    if "author" not in fields:
        fields["author"] = make_user(f"author-{next(_numbers)}")
    scores = {"toxicity": risk, "spam": 0.05} if risk is not None else {}
    return make_comment(body=body, status="held", risk=risk, scores=scores, **fields)


def listed(client: Client, **params: str) -> str:
    response = client.get(QUEUE, params)
    assert response.status_code == 200
    return response.content.decode()


def test_it_lists_held_comments_riskiest_first_with_scores_and_reasons(
    moderator_client: Client,
) -> None:
    article, author = make_article(), make_user()
    make_comment(
        article=article,
        author=author,
        body="mild",
        status="held",
        scores={"toxicity": 0.4, "spam": 0.1},
        risk=0.4,
        reason_codes=["toxicity_uncertain"],
    )
    make_comment(
        article=article,
        author=author,
        body="harsh",
        status="held",
        scores={"toxicity": 0.8, "spam": 0.1},
        risk=0.8,
        reason_codes=["toxicity_uncertain"],
    )
    make_comment(article=article, author=author, body="fine", status="published")
    html = listed(moderator_client)
    assert html.index("harsh") < html.index("mild")
    assert "fine" not in html
    assert "2 comments in Held, riskiest first." in html
    assert "Toxicity 80.0% ≥ publish threshold 30.0%" in html
    assert article.title in html and author.username in html


def test_it_counts_every_queue_in_its_tab(moderator_client: Client) -> None:
    article, author, reader = make_article(), make_user(), make_user("rita")
    make_comment(article=article, author=author, status="held", risk=0.5)
    make_comment(article=article, author=author, status="held")  # no model: unscored
    make_comment(article=article, author=author, status="pending")
    reported = make_comment(article=article, author=author, status="published")
    Report.objects.create(comment=reported, reporter=reader, reason="spam")
    make_comment(article=article, author=author, status="rejected")
    html = listed(moderator_client)
    for queue, count in [
        ("held", 2),
        ("reported", 1),
        ("unscored", 2),
        ("published", 1),
        ("rejected", 1),
        ("all", 5),
    ]:
        assert f'<span class="count" id="count-{queue}">{count}</span>' in html


@pytest.mark.parametrize(
    ("queue", "shown", "hidden"),
    [
        ("reported", ["reported one"], ["held one", "quiet one"]),
        ("unscored", ["pending one", "unscored one"], ["held one"]),
        ("published", ["reported one", "quiet one"], ["held one"]),
        ("rejected", ["rejected one"], ["held one"]),
        ("all", ["held one", "quiet one", "rejected one", "pending one"], []),
    ],
)
def test_it_shows_each_queue(
    moderator_client: Client, queue: str, shown: list[str], hidden: list[str]
) -> None:
    article, author = make_article(), make_user()
    make_comment(article=article, author=author, body="held one", status="held", risk=0.5)
    make_comment(article=article, author=author, body="unscored one", status="held")
    make_comment(article=article, author=author, body="pending one", status="pending")
    make_comment(article=article, author=author, body="quiet one", status="published")
    reported = make_comment(article=article, author=author, body="reported one", status="published")
    Report.objects.create(
        comment=reported, reporter=make_user("rita"), reason="abusive", note="rude"
    )
    make_comment(article=article, author=author, body="rejected one", status="rejected")
    html = listed(moderator_client, queue=queue)
    for body in shown:
        assert body in html
    for body in hidden:
        assert body not in html


def test_it_shows_reports_with_their_reasons_on_the_card(moderator_client: Client) -> None:
    comment = make_comment(article=make_article(), author=make_user(), status="published")
    Report.objects.create(
        comment=comment, reporter=make_user("rita"), reason="abusive", note="rude"
    )
    Report.objects.create(comment=comment, reporter=make_user("ravi"), reason="spam")
    html = listed(moderator_client, queue="reported")
    assert "2 open reports" in html
    assert "Abusive" in html and "“rude”" in html and "rita" in html
    assert "Spam" in html and "ravi" in html


def test_it_shows_each_reporters_record_and_whether_their_report_counts(
    moderator_client: Client,
) -> None:
    article = make_article()
    comment = make_comment(article=article, author=make_user(), status="published")
    veteran = make_established_reader("veteran", article=article)
    make_comment(article=article, author=veteran, status="rejected")
    Report.objects.create(comment=comment, reporter=veteran, reason="abusive")
    Report.objects.create(comment=comment, reporter=make_user("newbie"), reason="spam")
    html = listed(moderator_client, queue="reported")
    veteran_line, newbie_line = (
        html.split(">veteran</a>")[1].split("</li>")[0],
        html.split(">newbie</a>")[1].split("</li>")[0],
    )
    assert "joined 1\xa0year ago" in veteran_line
    assert "1 published, 1 rejected" in veteran_line
    assert "not counted" not in veteran_line
    assert "0 published, 0 rejected" in newbie_line
    assert "not counted towards hiding: account younger than 3 days" in newbie_line
    assert f'href="{reverse("moderation:author", kwargs={"pk": veteran.pk})}"' in html


def test_it_shows_the_parent_and_the_authors_record(moderator_client: Client) -> None:
    article, author = make_article(), make_user("alex")
    parent = make_comment(
        article=article, author=make_user("paula"), body="The parent says this.", status="published"
    )
    make_comment(article=article, author=author, status="rejected")
    make_comment(article=article, author=author, status="published")
    make_comment(article=article, author=author, status="published")
    make_comment(article=article, author=author, status="held", parent=parent, risk=0.5)
    html = listed(moderator_client)
    assert "In reply to paula:" in html and "The parent says this." in html
    assert "4 comments," in html
    assert "1 rejected" in html and "(33% of 3 decided)" in html
    drawer = reverse("moderation:author", kwargs={"pk": author.pk})
    assert f'hx-get="{drawer}" hx-target="#drawer"' in html
    assert '<aside id="drawer"' in html


def test_it_suggests_the_reject_reason_the_scores_point_to(moderator_client: Client) -> None:
    article, author = make_article(), make_user()
    make_comment(
        article=article,
        author=author,
        status="held",
        risk=0.6,
        scores={"toxicity": 0.1, "spam": 0.6},
        reason_codes=["spam_uncertain"],
    )
    html = listed(moderator_client)
    assert '<option value="spam" selected>' in html


def test_it_suggests_no_reason_when_no_score_is_doubtful(moderator_client: Client) -> None:
    make_comment(
        article=make_article(),
        author=make_user(),
        status="held",
        risk=0.05,
        scores={"toxicity": 0.05, "spam": 0.01},
        reason_codes=["article_premoderated"],
    )
    html = listed(moderator_client)
    assert " selected>" not in html.split('name="reason" id="reason-')[1].split("</select>")[0]


def test_it_searches_the_bodies_whatever_the_case(moderator_client: Client) -> None:
    held("The Minister resigned", risk=0.5)
    held("Nothing to see", risk=0.6)
    html = listed(moderator_client, q="minister")
    assert "The Minister resigned" in html
    assert "Nothing to see" not in html
    assert "1 comment in Held matching the filters" in html


def test_it_filters_by_article_author_score_and_date(moderator_client: Client) -> None:
    article, other = make_article("one"), make_article("two")
    alice, bob = make_user("alice"), make_user("bob")
    long_ago = timezone.now() - timedelta(days=10)
    held("alice on one", risk=0.5, article=article, author=alice)
    held("bob on one", risk=0.9, article=article, author=bob)
    held("alice on two", risk=0.5, article=other, author=alice)
    held("old alice", risk=0.5, article=article, author=alice, created_at=long_ago)

    assert "bob on one" not in listed(moderator_client, article="one", author="ALICE")
    only_risky = listed(moderator_client, min_score="0.8")
    assert "bob on one" in only_risky and "alice on one" not in only_risky
    by_spam = listed(moderator_client, label="spam", min_score="0.8")
    assert "bob on one" not in by_spam  # spam scores are all 0.05
    recent = listed(moderator_client, posted_from=str(timezone.localdate() - timedelta(days=1)))
    assert "old alice" not in recent and "alice on one" in recent
    old = listed(moderator_client, posted_to=str(timezone.localdate() - timedelta(days=5)))
    assert "old alice" in old and "alice on one" not in old


def test_it_sorts_by_risk_waiting_time_or_newest(moderator_client: Client) -> None:
    now = timezone.now()
    held("old and mild", risk=0.4, created_at=now - timedelta(hours=3))
    held("new and harsh", risk=0.9, created_at=now - timedelta(hours=1))
    held("middling", risk=0.6, created_at=now - timedelta(hours=2))

    def order(sort: str) -> list[str]:
        html = listed(moderator_client, sort=sort)
        return sorted(["old and mild", "new and harsh", "middling"], key=html.index)

    assert order("risk") == ["new and harsh", "middling", "old and mild"]
    assert order("waiting") == ["old and mild", "middling", "new and harsh"]
    assert order("newest") == ["new and harsh", "middling", "old and mild"]


def test_it_keeps_the_filters_in_the_tabs_and_the_pages(
    moderator_client: Client, settings: Settings
) -> None:
    settings.MODERATION_PAGE_SIZE = 2
    for i in range(3):
        held(f"word {i}", risk=0.5)
    html = listed(moderator_client, q="word", sort="newest")
    assert 'href="/moderation/?q=word&amp;sort=newest&amp;queue=rejected"' in html
    assert 'href="?q=word&amp;sort=newest&amp;page=2"' in html
    # A page that answers a bulk decision (a POST) keeps them too.
    bulk = moderator_client.post(
        "/moderation/bulk/",
        {
            "q": "word",
            "sort": "newest",
            "decision": "approve",
            "scope": "selected",
            "ids": "0",
            "seen_at": timezone.now().isoformat(),
        },
        **HX,
    ).content.decode()
    assert "Approved 0 comments." in bulk
    assert 'href="?q=word&amp;sort=newest&amp;page=2"' in bulk


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"queue": "everything"}, "Select a valid choice"),
        ({"sort": "random"}, "Select a valid choice"),
        ({"label": "rudeness"}, "Select a valid choice"),
        ({"article": "no-such-story"}, "Select a valid choice"),
        ({"min_score": "high"}, "Enter a number"),
        ({"min_score": "2"}, "less than or equal to 1"),
        ({"min_score": "0.9", "max_score": "0.1"}, "must not be below the lowest"),
        ({"posted_from": "yesterday"}, "Enter a valid date"),
        ({"posted_from": "2026-02-02", "posted_to": "2026-01-01"}, "must not be before"),
        ({"q": "x" * 201}, "at most 200 characters"),
    ],
)
def test_it_answers_bad_filters_with_400_and_says_why(
    moderator_client: Client, params: dict[str, str], message: str
) -> None:
    held("never listed", risk=0.5)
    response = moderator_client.get(QUEUE, params)
    html = response.content.decode()
    assert response.status_code == 400
    assert message in html
    assert "never listed" not in html


def test_it_answers_htmx_filters_with_the_results_only(moderator_client: Client) -> None:
    held("findable", risk=0.5)
    response = moderator_client.get(QUEUE, {"q": "find"}, HTTP_HX_TARGET="queue-results", **HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="queue-results"')
    assert "findable" in html and "<html" not in html
    bad = moderator_client.get(QUEUE, {"min_score": "x"}, HTTP_HX_TARGET="queue-results", **HX)
    assert bad.status_code == 200  # htmx swaps 2xx only: the errors come back in the form
    assert "Enter a number" in bad.content.decode()


def test_it_says_when_a_queue_is_empty(moderator_client: Client) -> None:
    held("somewhere else", risk=0.5)
    assert "Nothing in Rejected: no comment is waiting here." in listed(
        moderator_client, queue="rejected"
    )
    html = listed(moderator_client, q="absent")
    assert "No comment in Held matches these filters." in html
    assert 'id="bulk-form"' in html  # the page keeps its tools, and its live refresh
    assert 'id="queue-poll"' in html


def test_it_says_plainly_when_no_model_is_active(moderator_client: Client) -> None:
    make_comment(
        article=make_article(), author=make_user(), status="held", reason_codes=["unscored"]
    )
    html = listed(moderator_client)
    assert "No classifier model is active" in html
    assert "Unscored" in html


def test_it_names_the_active_model(moderator_client: Client, heartbeats: Heartbeats) -> None:
    ClassifierModel.objects.create(version=3, artifact=b"", artifact_sha256="0", is_active=True)
    heartbeats.beat(model_version=3)
    html = listed(moderator_client)
    assert "No classifier model is active" not in html
    assert "Scoring with model v3" in html


def test_it_says_when_the_workers_cannot_load_the_active_model(
    moderator_client: Client, heartbeats: Heartbeats
) -> None:
    ClassifierModel.objects.create(version=1, artifact=b"", artifact_sha256="0", is_active=True)
    heartbeats.beat(model_version=None, model_error="classifier v1: ArtifactError: bad sha256")
    html = listed(moderator_client)
    assert "Scoring is degraded." in html
    assert "celery@w1 scores with no model: classifier v1: ArtifactError: bad sha256" in html
    assert "Scoring with model v1" not in html


def test_it_says_when_no_worker_is_alive(moderator_client: Client, heartbeats: Heartbeats) -> None:
    ClassifierModel.objects.create(version=1, artifact=b"", artifact_sha256="0", is_active=True)
    html = listed(moderator_client)
    assert "No scoring worker is running." in html
    assert "Scoring with model v1" not in html


def test_it_lists_the_keyboard_shortcuts(moderator_client: Client) -> None:
    html = listed(moderator_client)
    for key in ["j", "k", "a", "r", "x", "u", "?"]:
        assert f"<kbd>{key}</kbd>" in html
    assert "js/moderation.js" in html


def test_it_keeps_a_constant_number_of_queries(
    moderator_client: Client,
    django_assert_max_num_queries: DjangoAssertNumQueries,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    def fill(start: int, stop: int) -> None:
        for i in range(start, stop):
            author = make_user(f"user{i}")
            parent = make_comment(article=article, author=author, status="published")
            comment = make_comment(
                article=article, author=author, status="held", risk=i / 60, parent=parent
            )
            Report.objects.create(comment=comment, reporter=reader, reason="spam")

    article, reader = make_article(), make_user("reader")
    fill(0, 1)
    # 4 of them sign the moderator in, 1 reads the active version for the scoring banner, 1
    # the edit histories (CommentRevision) of the page's cards, 1 the notification bell's
    # unread count in the header, 6 count the tabs (one small capped query per queue).
    with django_assert_max_num_queries(22) as one_card:
        moderator_client.get(QUEUE)
    fill(1, 50)
    with django_assert_num_queries(len(one_card)):
        html = listed(moderator_client)
    assert html.count("data-card") == 50


def test_its_tabs_count_up_to_the_cap_and_say_so_beyond(
    moderator_client: Client, settings: Any
) -> None:
    settings.MODERATION_QUEUE_COUNT_CAP = 2
    article, author = make_article(), make_user()
    for _ in range(3):
        make_comment(article=article, author=author, status="held", risk=0.5)
    make_comment(article=article, author=author, status="rejected")
    html = listed(moderator_client)
    assert '<span class="count" id="count-held">2+</span>' in html
    assert '<span class="count" id="count-rejected">1</span>' in html
    assert '<span class="count" id="count-all">2+</span>' in html
    assert "3 comments in Held" in html  # the open queue's own heading stays exact


def test_it_forbids_readers(client: Client) -> None:
    client.force_login(make_user())
    assert client.get(QUEUE).status_code == 403


def test_it_sends_anonymous_visitors_to_sign_in(client: Client) -> None:
    response = client.get(QUEUE)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={QUEUE}"


def test_the_queue_highlights_and_lists_the_terms(moderator_client: Client) -> None:
    body = "you <b>idiot</b>"
    start = body.index("idiot")
    make_comment(
        article=make_article(),
        author=make_user(),
        body=body,
        status="held",
        scores={"toxicity": 0.8, "spam": 0.1},
        risk=0.8,
        reason_codes=["toxicity_uncertain"],
        explanations={"toxicity": [{"start": start, "end": start + 5, "weight": 2.5}]},
    )
    page = moderator_client.get(QUEUE).content.decode()

    assert (
        '<mark class="term term--toxicity" title="raises the toxicity score (+2.50)">idiot</mark>'
        in page
    )
    assert "you &lt;b&gt;" in page and "<b>idiot" not in page
    assert "Raising toxic" in page
    assert '<span class="term term--toxicity">idiot</span> <span class="meta">+2.5</span>' in page


def test_it_shows_why_scoring_failed(moderator_client: Client) -> None:
    make_comment(
        article=make_article(),
        author=make_user(),
        status="held",
        reason_codes=["scoring_failed"],
        scoring_attempts=3,
        scoring_error="ValueError: the vectorizer exploded",
    )
    html = listed(moderator_client, queue="unscored")
    assert "Scoring failed on every attempt" in html
    error = "Scoring error after 3 attempts: <code>ValueError: the vectorizer exploded</code>"
    assert error in html


def test_it_fills_each_cards_urls_as_reverse_does(moderator_client: Client) -> None:
    from moderation.views.queue import card_comments, with_records

    article = make_article()
    author = make_user("casey")
    comment = make_comment(article=article, author=author, status="held")
    Report.objects.create(comment=comment, reporter=make_user("rita"), reason="spam")

    ((_, _, card),) = with_records(card_comments().filter(pk=comment.pk))

    assert card.pk == str(comment.pk)
    assert card.author_url == reverse("moderation:author", args=[author.pk])
    assert card.article_url == article.get_absolute_url()
    assert card.undo_url == reverse("moderation:undo", args=[comment.pk])
    assert card.decisions == [
        (decision, reverse("moderation:decide", args=[comment.pk, decision]))
        for decision in comment.decisions_available
    ]
    (report,) = card_comments().get(pk=comment.pk).open_reports
    response = moderator_client.get(reverse("moderation:queue"))
    assert f'href="{reverse("moderation:author", args=[report.reporter_id])}"' in (
        response.content.decode()
    )


def test_it_renders_the_article_filter_as_djangos_select_does() -> None:
    from django import forms

    from moderation.forms import ArticleSelect, QueueFilterForm

    make_article("plain", title="Plain")
    make_article("tricky", title='Fish & "chips" <b>')
    for data in ({}, {"article": "tricky"}, {"article": "missing"}):
        form = QueueFilterForm(data)
        form.is_valid()
        field = form.fields["article"]
        assert isinstance(field.widget, ArticleSelect)
        ours = str(form["article"])
        field.widget = forms.Select(choices=field.widget.choices)
        assert ours == str(form["article"])
        assert "Fish &amp; &quot;chips&quot; &lt;b&gt;" in ours
    assert 'value="tricky" selected>' in str(QueueFilterForm({"article": "tricky"})["article"])
