"""A reader edits (within the window) or deletes their own comment (issue 11)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles.models import CommentPolicy
from comments import model_versions, scoring
from comments.models import (
    AuthorStanding,
    Comment,
    CommentRevision,
    CommentStatus,
    EventAction,
    ModerationEvent,
)
from comments.services import edit_comment
from tests.factories import SafeScores, make_article, make_comment, make_user

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def safe_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_versions, "get_active_model", lambda: SafeScores())


def scored(comment: Comment) -> Comment:
    """A comment as the worker leaves it after deciding its first text."""
    Comment.objects.filter(pk=comment.pk).update(scores={"toxicity": 0.01, "spam": 0.02}, risk=0.02)
    comment.refresh_from_db()
    return comment


# Edit ------------------------------------------------------------------------------------------


def test_it_edits_a_published_comment_keeps_it_up_and_scores_it_again(
    client: Client, enqueued: list[int], django_capture_on_commit_callbacks: Any, safe_model: None
) -> None:
    rita = make_user("rita")
    comment = scored(
        make_comment(article=make_article(), author=rita, body="Frist", status="published")
    )
    client.force_login(rita)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("comments:edit", args=[comment.pk]), {"body": "First!"})
    assert response.status_code == 302
    comment.refresh_from_db()
    assert (comment.body, comment.status, comment.revision) == ("First!", "published", 1)
    assert comment.edited_at is not None and comment.needs_scoring
    assert enqueued == [comment.pk]
    (old,) = CommentRevision.objects.filter(comment=comment)
    assert (old.number, old.body, old.status, old.scores) == (
        0,
        "Frist",
        "published",
        {"toxicity": 0.01, "spam": 0.02},
    )
    event = ModerationEvent.objects.get(comment=comment)
    assert (event.action, event.actor) == (EventAction.EDITED, rita)

    decided = scoring.score_comment(comment_id=comment.pk)  # what the worker runs
    assert decided is not None and decided.status == "published"
    assert decided.scored_revision == 1 and not decided.needs_scoring
    # A second delivery of the same task changes nothing: the revision is scored.
    assert scoring.score_comment(comment_id=comment.pk) is None
    html = client.get(comment.article.get_absolute_url()).content.decode()
    assert "First!" in html and ">edited</span>" in html


def test_an_edit_the_policy_holds_leaves_public_view(safe_model: None) -> None:
    rita = make_user("rita")
    article = make_article(policy=CommentPolicy.PREMODERATE)
    comment = make_comment(article=article, author=rita, body="ok", status="published")
    edit_comment(comment=comment, author=rita, body="now something else")
    decided = scoring.score_comment(comment_id=comment.pk)
    assert decided is not None and decided.status == CommentStatus.HELD
    assert not Comment.objects.visible().filter(pk=comment.pk).exists()
    event = ModerationEvent.objects.filter(action=EventAction.SCORED).get(comment=comment)
    assert (event.from_status, event.to_status) == ("published", "held")


def test_a_task_scoring_the_old_text_does_not_decide_on_it(safe_model: None) -> None:
    rita = make_user("rita")
    comment = make_comment(article=make_article(), author=rita, body="old")
    # The worker read revision 0; the reader edits before it writes its decision.
    edit_comment(comment=comment, author=rita, body="new")
    assert (
        scoring._decide_many(
            [scoring.Outcome(comment.pk, "published", [], action="scored", revision=0)]
        )
        == []
    )
    comment.refresh_from_db()
    assert comment.status == CommentStatus.PENDING
    decided = scoring.score_comment(comment_id=comment.pk)  # the task the edit enqueued
    assert decided is not None and decided.status == "published" and decided.body == "new"


def test_an_edit_of_a_held_comment_replaces_its_text_and_scores_it_again(
    client: Client, enqueued: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    rita = make_user("rita")
    comment = make_comment(article=make_article(), author=rita, body="rude", status="held")
    client.force_login(rita)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("comments:edit", args=[comment.pk]), {"body": "polite"}, **HX
        )
    html = response.content.decode()
    assert response.status_code == 200 and response["HX-Retarget"] == f"#comment-{comment.pk}"
    assert "polite" in html and "Awaiting moderation" in html
    comment.refresh_from_db()
    assert (comment.body, comment.status) == ("polite", "pending")
    assert enqueued == [comment.pk]


def test_it_shows_the_edit_form_in_place_with_htmx_and_on_the_page_without(client: Client) -> None:
    rita = make_user("rita")
    comment = make_comment(article=make_article(), author=rita, body="mine", status="published")
    client.force_login(rita)
    url = reverse("comments:edit", args=[comment.pk])
    fragment = client.get(url, **HX).content.decode()
    assert f'id="edit-form-{comment.pk}"' in fragment and "\nmine</textarea>" in fragment
    page = client.get(url).content.decode()
    assert "<h1" in page and f'id="edit-form-{comment.pk}"' in page


def test_it_refuses_an_edit_after_the_window(client: Client, settings: Any) -> None:
    settings.COMMENT_EDIT_WINDOW_SECONDS = 300
    rita = make_user("rita")
    comment = make_comment(
        article=make_article(),
        author=rita,
        body="old",
        status="published",
        created_at=timezone.now() - timedelta(seconds=301),
    )
    client.force_login(rita)
    response = client.post(reverse("comments:edit", args=[comment.pk]), {"body": "new"})
    assert response.status_code == 400
    assert "can no longer be edited" in response.content.decode()
    comment.refresh_from_db()
    assert comment.body == "old" and not CommentRevision.objects.exists()
    page = client.get(comment.article.get_absolute_url()).content.decode()
    assert reverse("comments:edit", args=[comment.pk]) not in page


def test_only_its_author_edits_a_comment(client: Client) -> None:
    comment = make_comment(article=make_article(), author=make_user("ann"), status="published")
    url = reverse("comments:edit", args=[comment.pk])
    assert "/accounts/login/" in client.post(url, {"body": "x"})["Location"]
    client.force_login(make_user("otto"))
    assert client.post(url, {"body": "x"}).status_code == 404
    assert client.get(url).status_code == 404
    comment.refresh_from_db()
    assert comment.body == "A considered reply."


def test_a_banned_reader_cannot_edit_and_an_empty_edit_is_refused(client: Client) -> None:
    rita = make_user("rita")
    comment = make_comment(article=make_article(), author=rita, body="old", status="published")
    client.force_login(rita)
    url = reverse("comments:edit", args=[comment.pk])
    assert client.post(url, {"body": ""}).status_code == 400
    AuthorStanding.objects.create(author=rita, banned_at=timezone.now())
    response = client.post(url, {"body": "new"}, **HX)
    assert "banned from commenting" in response.content.decode()
    comment.refresh_from_db()
    assert comment.body == "old"


# Delete ----------------------------------------------------------------------------------------


def test_it_deletes_ones_own_comment_keeping_its_place_in_the_thread(client: Client) -> None:
    rita = make_user("rita")
    article = make_article()
    comment = make_comment(article=article, author=rita, body="regret this", status="published")
    reply = make_comment(
        article=article,
        author=make_user("bob"),
        body="a reply stays",
        status="published",
        parent=comment,
        root=comment,
        depth=1,
    )
    client.force_login(rita)
    response = client.post(reverse("comments:delete", args=[comment.pk]))
    assert response["Location"].endswith(f"#comment-{comment.pk}")
    comment.refresh_from_db()
    assert comment.deleted_at is not None and comment.body == "regret this"  # kept for moderators
    event = ModerationEvent.objects.get(comment=comment)
    assert (event.action, event.actor) == (EventAction.DELETED_BY_AUTHOR, rita)
    client.logout()
    html = client.get(article.get_absolute_url()).content.decode()
    assert "Deleted by its author" in html and "regret this" not in html
    assert "a reply stays" in html and f'id="comment-{reply.pk}"' in html


def test_it_answers_htmx_with_the_deleted_comment(client: Client) -> None:
    rita = make_user("rita")
    comment = make_comment(article=make_article(), author=rita, body="gone", status="published")
    client.force_login(rita)
    html = client.post(reverse("comments:delete", args=[comment.pk]), **HX).content.decode()
    assert "Deleted by its author" in html and "gone" not in html


def test_only_its_author_deletes_a_comment(client: Client) -> None:
    comment = make_comment(article=make_article(), author=make_user("ann"), status="published")
    url = reverse("comments:delete", args=[comment.pk])
    assert "/accounts/login/" in client.post(url)["Location"]
    assert "/accounts/login/" in client.post(url, **HX)["HX-Redirect"]
    client.force_login(make_user("otto"))
    assert client.post(url).status_code == 404
    assert client.get(url).status_code == 405
    comment.refresh_from_db()
    assert comment.deleted_at is None


def test_the_sweeper_asks_again_for_an_edit_whose_scoring_task_was_lost() -> None:
    rita = make_user("rita")
    comment = make_comment(article=make_article(), author=rita, body="old", status="published")
    edit_comment(comment=comment, author=rita, body="new")
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Comment.objects.filter(pk=comment.pk).update(scoring_requested_at=an_hour_ago)
    due = Comment.objects.due_for_scoring_again(timedelta(seconds=60))
    assert list(due.values_list("pk", flat=True)) == [comment.pk]
    # Once the edit is scored there is nothing left to ask for.
    Comment.objects.filter(pk=comment.pk).update(scored_revision=1)
    assert not Comment.objects.due_for_scoring_again(timedelta(seconds=60)).exists()


def test_an_edit_during_a_batchs_claim_is_scored_on_its_new_text_at_once(
    safe_model: None,
) -> None:
    rita = make_user("rita")
    comment = make_comment(article=make_article(), author=rita, body="old")
    # A worker's batch claimed it and is scoring the old text when the reader edits.
    scoring.claim_for_scoring(comment_id=comment.pk, batch_size=1, claim="busy-worker")
    edit_comment(comment=comment, author=rita, body="new")

    decided = scoring.score_comment(comment_id=comment.pk)  # the task the edit enqueued

    assert decided is not None and decided.body == "new" and decided.scored_revision == 1


class Failing(SafeScores):
    def score(self, text: str) -> dict[str, float]:
        raise ValueError("the vectorizer exploded")


def test_an_edit_whose_scoring_fails_every_attempt_leaves_public_view_held_unscored(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.SCORING_MAX_ATTEMPTS = 2
    rita = make_user("rita")
    parent = make_comment(article=make_article(), author=make_user("sam"), status="published")
    comment = scored(
        make_comment(article=parent.article, author=rita, parent=parent, status="published")
    )
    Comment.objects.filter(pk=parent.pk).refresh_reply_counts()
    edit_comment(comment=comment, author=rita, body="an edit no model can read")
    monkeypatch.setattr(model_versions, "get_active_model", lambda: Failing())

    with pytest.raises(ValueError):
        scoring.score_comment(comment_id=comment.pk)
    assert Comment.objects.visible().filter(pk=comment.pk).exists()  # one more try to come
    with pytest.raises(ValueError):
        scoring.score_comment(comment_id=comment.pk)

    comment.refresh_from_db()
    assert comment.status == CommentStatus.HELD
    assert comment.reason_codes == ["scoring_failed"]
    assert (comment.scores, comment.risk) == ({}, None)  # the old text's scores decide nothing
    assert not Comment.objects.visible().filter(pk=comment.pk).exists()
    parent.refresh_from_db()
    assert parent.reply_count == 0
    event = ModerationEvent.objects.get(comment=comment, action=EventAction.SCORING_FAILED)
    assert (event.actor, event.from_status, event.to_status) == (None, "published", "held")
    assert event.note == "Scoring failed 2 times: ValueError: the vectorizer exploded"


def test_the_sweeper_holds_an_edit_whose_workers_all_died(settings: Any) -> None:
    from comments import tasks

    rita = make_user("rita")
    comment = scored(make_comment(article=make_article(), author=rita, status="published"))
    edit_comment(comment=comment, author=rita, body="new text")
    # Every allowed attempt began and none finished: the workers died scoring it.
    Comment.objects.filter(pk=comment.pk).update(scoring_attempts=settings.SCORING_MAX_ATTEMPTS)

    tasks._sweep(timedelta(seconds=60), 500)

    comment.refresh_from_db()
    assert (comment.status, comment.reason_codes) == (CommentStatus.HELD, ["scoring_failed"])
    assert not Comment.objects.visible().filter(pk=comment.pk).exists()
    event = ModerationEvent.objects.get(comment=comment, action=EventAction.SCORING_FAILED)
    assert event.note.endswith("the worker stopped while scoring it")
