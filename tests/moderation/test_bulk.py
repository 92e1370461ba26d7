from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from articles.models import Article
from comments import services
from comments.models import Comment, ModerationEvent, Report
from moderation.services import CannotUndo, moderate_in_bulk, undo_bulk
from tests.factories import make_article, make_comment, make_moderator, make_user

pytestmark = pytest.mark.django_db

BULK = "/moderation/bulk/"
BULK_UNDO = "/moderation/bulk/undo/"
HX = {"HTTP_HX_REQUEST": "true"}


def make_held(article: Article, author: Any, count: int, **fields: Any) -> list[Comment]:
    return Comment.objects.bulk_create(
        Comment(
            article=article,
            author=author,
            body=f"Held comment {i}",
            status="held",
            risk=0.5,
            scores={"toxicity": 0.5, "spam": 0.1},
            reason_codes=["toxicity_uncertain"],
            **fields,
        )
        for i in range(count)
    )


def seen_now() -> str:
    return timezone.now().isoformat()


def test_it_rejects_every_comment_matching_the_filter_with_one_event_each(
    moderator_client: Client, moderator: Any
) -> None:
    article, author = make_article(), make_user()
    make_held(article, author, 3)
    spared = make_comment(article=article, author=author, body="keep me", status="held", risk=0.9)
    response = moderator_client.post(
        BULK,
        {
            "q": "Held comment",
            "decision": "reject",
            "reason": "spam",
            "scope": "matching",
            "seen_at": seen_now(),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/moderation/?q=Held+comment"
    assert Comment.objects.rejected().count() == 3
    assert Comment.objects.get(pk=spared.pk).status == "held"
    events = ModerationEvent.objects.all()
    assert {(e.action, e.from_status, e.to_status, e.reject_reason) for e in events} == {
        ("rejected", "held", "rejected", "spam")
    }
    assert len(events) == 3 and all(e.actor == moderator for e in events)
    assert all(e.scores == {"toxicity": 0.5, "spam": 0.1} for e in events)
    # One batch, named on every event; the note says so in words for the audit log.
    (batch,) = {e.batch for e in events}
    assert len(batch) == 12 and events[0].note == f"Bulk reject, batch {batch}."
    follow = moderator_client.get(response["Location"])
    assert "Rejected 3 comments." in follow.content.decode()


def test_it_approves_the_checked_comments_and_answers_htmx_with_the_results(
    moderator_client: Client,
) -> None:
    first, second, third = make_held(make_article(), make_user(), 3)
    response = moderator_client.post(
        BULK,
        {
            "decision": "approve",
            "scope": "selected",
            "ids": [first.pk, third.pk],
            "seen_at": seen_now(),
        },
        **HX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="queue-results"')
    assert "Approved 2 comments." in html
    assert f'id="queue-comment-{second.pk}"' in html
    assert f'id="queue-comment-{first.pk}"' not in html
    statuses = dict(Comment.objects.values_list("pk", "status"))
    assert [statuses[c.pk] for c in (first, second, third)] == ["published", "held", "published"]


def test_it_skips_what_someone_else_decided_since_the_page_was_shown(
    moderator_client: Client,
) -> None:
    seen_at = seen_now()
    first, second, third = make_held(make_article(), make_user(), 3)
    # Another moderator approves one and rejects another after this page was rendered.
    otto, olga = make_moderator("otto"), make_moderator("olga")
    services.approve_comment(comment=first, moderator=otto)
    services.reject_comment(comment=second, moderator=olga, reason="spam")
    services.restore_comment(comment=second, moderator=olga)
    response = moderator_client.post(
        BULK,
        {
            "queue": "all",
            "decision": "reject",
            "reason": "abusive",
            "scope": "selected",
            "ids": [first.pk, second.pk, third.pk],
            "seen_at": seen_at,
        },
        **HX,
    )
    assert "Rejected 1 comment. 2 left unchanged: someone else decided them first." in (
        response.content.decode()
    )
    statuses = dict(Comment.objects.values_list("pk", "status"))
    assert [statuses[c.pk] for c in (first, second, third)] == [
        "published",
        "published",
        "rejected",
    ]


def test_it_never_moves_a_comment_its_decision_does_not_allow(moderator: Any) -> None:
    article, author = make_article(), make_user()
    published = make_comment(article=article, author=author, status="published")
    held = make_comment(article=article, author=author, status="held")
    changed = moderate_in_bulk(
        comments=Comment.objects.all(), moderator=moderator, decision="approve"
    )
    assert changed == 1
    assert ModerationEvent.objects.get().comment_id == held.pk
    assert Comment.objects.get(pk=published.pk).decided_at is None


def test_it_resolves_reports_and_shows_hidden_comments_again(moderator: Any) -> None:
    comment = make_comment(
        article=make_article(), author=make_user(), status="rejected", hidden_at=timezone.now()
    )
    Report.objects.create(comment=comment, reporter=make_user("rita"), reason="spam")
    moderate_in_bulk(comments=Comment.objects.all(), moderator=moderator, decision="approve")
    comment.refresh_from_db()
    assert (comment.status, comment.hidden_at) == ("published", None)
    report = Report.objects.get()
    assert report.resolved_by == moderator and report.resolved_at == comment.decided_at


def test_it_rejects_5000_comments_in_a_constant_number_of_queries(
    moderator_client: Client, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    article, author = make_article(), make_user()
    data = {"decision": "reject", "reason": "spam", "scope": "matching", "seen_at": seen_now()}

    make_held(article, author, 50)
    # One of them recounts the replies of the batch's parents (issue 11's reply_count), one
    # reads which articles' open pages to tell (comments.live).
    with django_assert_num_queries(11) as small:
        moderator_client.post(BULK, data)
    assert Comment.objects.rejected().count() == 50

    make_held(article, author, 5000)
    with django_assert_num_queries(len(small)):
        response = moderator_client.post(BULK, data)
    assert response.status_code == 302
    assert Comment.objects.rejected().count() == 5050
    assert ModerationEvent.objects.filter(reject_reason="spam").count() == 5050


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"decision": "delete"}, "Select a valid choice"),
        ({"decision": "reject", "reason": ""}, "Choose a reason for rejecting"),
        ({"decision": "reject", "reason": "rude"}, "is not a reason for rejecting"),
        ({"scope": "everything"}, "Select a valid choice"),
        ({"scope": "selected", "ids": []}, "Select at least one comment"),
        ({"ids": ["1", "two"]}, "Comment ids must be whole numbers"),
        ({"ids": [str(i) for i in range(501)]}, "Select at most 500 comments"),
        ({"seen_at": "yesterday"}, "Enter a valid date/time"),
        ({"min_score": "lots"}, "Enter a number"),
    ],
)
def test_it_answers_bad_input_with_400_and_says_why(
    moderator_client: Client, data: dict[str, Any], message: str
) -> None:
    comment = make_held(make_article(), make_user(), 1)[0]
    valid = {
        "decision": "approve",
        "reason": "",
        "scope": "selected",
        "ids": [str(comment.pk)],
        "seen_at": seen_now(),
    }
    response = moderator_client.post(BULK, valid | data)
    assert response.status_code == 400
    assert message in response.content.decode()
    htmx = moderator_client.post(BULK, valid | data, **HX)
    assert htmx.status_code == 200  # htmx swaps 2xx only: the bar shows the error
    assert message in htmx.content.decode()
    assert Comment.objects.get(pk=comment.pk).status == "held"


def test_it_keeps_the_checked_comments_checked_when_it_refuses_the_batch(
    moderator_client: Client,
) -> None:
    first, second, third = make_held(make_article(), make_user(), 3)
    data = {"decision": "reject", "scope": "selected", "seen_at": seen_now()}
    response = moderator_client.post(BULK, {**data, "ids": [first.pk, third.pk]}, **HX)
    html = response.content.decode()
    assert "Choose a reason for rejecting" in html
    checked = 'form="bulk-form" id="select-%d" data-select checked>'
    assert checked % first.pk in html and checked % third.pk in html
    assert checked % second.pk not in html
    assert "(<span data-selected-count>2</span> checked)" in html
    assert '<details class="bulk-bar__details" open>' in html  # the error in sight
    assert not Comment.objects.rejected().exists()


def test_it_keeps_its_events_apart_from_a_simultaneous_single_decision(moderator: Any) -> None:
    article, author = make_article(), make_user()
    make_held(article, author, 2)
    earlier = timezone.now() - timedelta(seconds=1)
    single = make_comment(article=article, author=author, status="held", created_at=earlier)
    services.approve_comment(comment=single, moderator=moderator)
    changed = moderate_in_bulk(
        comments=Comment.objects.held(), moderator=moderator, decision="approve"
    )
    assert changed == 2
    assert ModerationEvent.objects.filter(comment=single).count() == 1


def test_it_refuses_get(moderator_client: Client) -> None:
    assert moderator_client.get(BULK).status_code == 405


def test_it_forbids_readers(client: Client) -> None:
    comment = make_held(make_article(), make_user(), 1)[0]
    client.force_login(make_user("rita"))
    data = {"decision": "approve", "scope": "matching", "seen_at": seen_now()}
    assert client.post(BULK, data).status_code == 403
    assert client.post(BULK, data, **HX).status_code == 403
    assert Comment.objects.get(pk=comment.pk).status == "held"


def test_bulk_url_is_named() -> None:
    assert reverse("moderation:bulk") == BULK


def bulk_reject_all(client: Client, queue: str = "held") -> str:
    """Reject a whole queue in bulk with htmx; return the batch the page offers to undo."""
    data = {"decision": "reject", "reason": "spam", "scope": "matching", "seen_at": seen_now()}
    response = client.post(BULK, data | {"queue": queue}, **HX)
    html = response.content.decode()
    assert "Undo this bulk decision" in html
    return html.split('name="batch" value="')[1].split('"')[0]


def test_it_undoes_a_bulk_decision_in_a_constant_number_of_queries(
    moderator_client: Client,
    django_assert_max_num_queries: DjangoAssertNumQueries,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    article, author = make_article(), make_user()
    make_held(article, author, 3)
    batch = bulk_reject_all(moderator_client)
    with django_assert_max_num_queries(16) as small:  # 4 sign in, 2 are the savepoint
        moderator_client.post(BULK_UNDO, {"batch": batch})
    # Read now: every request clears the connection's query log that `small` reads from.
    small_batch_queries = len(small)
    assert Comment.objects.held().count() == 3

    make_held(article, author, 297)
    pending = make_comment(article=article, author=author, status="pending")
    batch = bulk_reject_all(moderator_client, queue="all")
    assert Comment.objects.rejected().count() == 301
    with django_assert_num_queries(small_batch_queries):
        response = moderator_client.post(BULK_UNDO, {"batch": batch})
    assert response.status_code == 302
    assert Comment.objects.held().count() == 300
    assert Comment.objects.get(pk=pending.pk).status == "pending"
    assert ModerationEvent.objects.filter(action="undone").count() == 304
    follow = moderator_client.get(response["Location"]).content.decode()
    assert "Undone: 301 comments are back as before." in follow


def test_it_leaves_alone_what_someone_acted_on_since_the_bulk_decision(
    moderator_client: Client,
) -> None:
    first, second = make_held(make_article(), make_user(), 2)
    batch = bulk_reject_all(moderator_client)
    services.restore_comment(comment=first, moderator=make_moderator("otto"))
    response = moderator_client.post(BULK_UNDO, {"batch": batch}, **HX)
    assert "Undone: 1 comment is back as before." in response.content.decode()
    statuses = dict(Comment.objects.values_list("pk", "status"))
    assert (statuses[first.pk], statuses[second.pk]) == ("published", "held")


def test_it_refuses_to_undo_a_bulk_decision_too_late_or_twice(
    moderator_client: Client, moderator: Any
) -> None:
    make_held(make_article(), make_user(), 2)
    batch = bulk_reject_all(moderator_client)
    with pytest.raises(CannotUndo, match="Too late"):
        undo_bulk(batch=batch, moderator=moderator, now=timezone.now() + timedelta(seconds=11))
    with pytest.raises(CannotUndo, match="no bulk decision of yours"):
        undo_bulk(batch=batch, moderator=make_moderator("otto"))
    assert undo_bulk(batch=batch, moderator=moderator) == 2
    undone = ModerationEvent.objects.filter(action="undone")
    assert {(e.batch, e.note) for e in undone} == {(batch, f"Undid bulk batch {batch}.")}
    assert undo_bulk(batch=batch, moderator=moderator) == 0  # nothing left on its last word
    plain = moderator_client.post(BULK_UNDO, {"batch": "0" * 12})
    assert plain.status_code == 409
    assert "There is no bulk decision of yours to undo." in plain.content.decode()


def test_it_offers_the_bulk_undo_on_the_page_without_javascript(
    moderator_client: Client,
) -> None:
    make_held(make_article(), make_user(), 2)
    data = {"decision": "approve", "scope": "matching", "seen_at": seen_now()}
    page = moderator_client.post(BULK, data, follow=True).content.decode()
    assert "You approved comments in bulk." in page
    batch = page.split('name="batch" value="')[1].split('"')[0]
    back = moderator_client.post(BULK_UNDO, {"batch": batch}, follow=True)
    assert "Undone: 2 comments are back as before." in back.content.decode()
    assert Comment.objects.held().count() == 2


@pytest.mark.parametrize("batch", ["", "nope", "0" * 13, "ABCDEF123456"])
def test_it_answers_a_bad_batch_with_400(moderator_client: Client, batch: str) -> None:
    response = moderator_client.post(BULK_UNDO, {"batch": batch})
    assert response.status_code == 400
