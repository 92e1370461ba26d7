"""The nudge: a draft the active model would hold is answered before it is saved."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from comments import drafts, model_versions
from comments.models import Comment, CommentStatus, Nudge, NudgeOutcome
from tests.factories import make_article, make_classifier_model, make_moderator, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.nudge]

HX = {"HTTP_HX_REQUEST": "true"}
TOXIC = "you are a stupid idiot and everyone hates you"
POLITE = "I read the whole article and I think the council waited too long."
NUDGED = "Your comment may break our community guidelines."


@pytest.fixture
def model(artifact: bytes) -> Any:
    """The real model, trained on the shipped data, active as a worker would load it."""
    return make_classifier_model(artifact=artifact, active=True)


@pytest.fixture
def article() -> Any:
    return make_article()


@pytest.fixture
def reader() -> Any:
    return make_user("rita")


@pytest.fixture
def reader_client(client: Client, reader: Any) -> Client:
    client.force_login(reader)
    return client


def post(client: Client, data: dict[str, Any], **headers: Any) -> Any:
    return client.post(reverse("comments:post", kwargs={"slug": "launch-story"}), data, **headers)


def test_the_model_flags_the_toxic_draft_and_passes_the_polite_one(model: Any) -> None:
    flagged = drafts.check_draft(TOXIC)
    assert flagged is not None
    assert "toxicity_uncertain" in flagged.reason_codes or (
        "toxicity_over_reject" in flagged.reason_codes
    )
    assert any(segment.labels for segment in flagged.segments(TOXIC))
    assert drafts.check_draft(POLITE) is None


def test_checking_a_draft_writes_nothing(model: Any, django_assert_num_queries: Any) -> None:
    # The first check reads which version is active and loads it, as the first post of a
    # process does; no write: the nudge never decides.
    model_versions.clear_model_cache()
    with django_assert_num_queries(2) as captured:
        drafts.check_draft(TOXIC)
    assert all(
        query["sql"].lstrip().upper().startswith("SELECT") for query in captured.captured_queries
    )
    # Then not even a read: which version is active comes from the cache.
    with django_assert_num_queries(0):
        assert drafts.check_draft(TOXIC) is not None


def test_a_newly_activated_version_reaches_the_nudge_within_seconds(
    model: Any, artifact: bytes
) -> None:
    flagged = drafts.check_draft(TOXIC)
    assert flagged is not None and flagged.model_version_id == model.pk
    newer = make_classifier_model(version=2, artifact=artifact, active=True)

    flagged = drafts.check_draft(TOXIC)  # the cache may still say the first, for a few seconds
    assert flagged is not None and flagged.model_version_id == model.pk
    assert model_versions.ACTIVE_VERSION_CACHE_SECONDS <= 10
    cache.delete("classifier:active-version")  # as its entry expires

    flagged = drafts.check_draft(TOXIC)
    assert flagged is not None and flagged.model_version_id == newer.pk


def test_with_the_cache_down_the_nudge_asks_the_database(
    model: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("redis is down")

    monkeypatch.setattr(cache, "get", broken)
    monkeypatch.setattr(cache, "set", broken)
    assert drafts.check_draft(TOXIC) is not None
    assert drafts.check_draft(POLITE) is None


def test_with_no_model_active_there_is_no_nudge(article: Any) -> None:
    assert drafts.check_draft(TOXIC) is None


def test_htmx_answers_a_toxic_draft_with_the_nudge_and_saves_nothing(
    model: Any, article: Any, reader: Any, reader_client: Client, enqueued: list[int]
) -> None:
    response = post(reader_client, {"body": TOXIC}, **HX)

    html = response.content.decode()
    assert response.status_code == 200
    assert NUDGED in html
    assert '<mark class="term term--toxicity">' in html
    assert 'name="nudge_action" value="post-anyway"' in html
    assert TOXIC in html  # still in the textarea, to edit
    assert not Comment.objects.exists()
    assert enqueued == []
    nudge = Nudge.objects.get()
    assert (nudge.author, nudge.article, nudge.outcome) == (reader, article, "")
    assert nudge.model_version == model
    assert f'name="nudge" value="{nudge.pk}"' in html


def test_without_javascript_the_page_comes_back_with_the_nudge(
    model: Any, article: Any, reader_client: Client
) -> None:
    response = post(reader_client, {"body": TOXIC})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<!doctype html>" in html.lower()
    assert NUDGED in html
    assert 'action="/articles/launch-story/comments/"' in html
    assert not Comment.objects.exists()


def test_a_revised_draft_is_posted_and_the_nudge_says_revised(
    model: Any,
    article: Any,
    reader_client: Client,
    enqueued: list[int],
    django_capture_on_commit_callbacks: Any,
) -> None:
    post(reader_client, {"body": TOXIC}, **HX)
    nudge = Nudge.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        response = post(reader_client, {"body": POLITE, "nudge": nudge.pk}, **HX)

    assert response.status_code == 200
    assert NUDGED not in response.content.decode()
    comment = Comment.objects.get()
    assert comment.body == POLITE and comment.status == CommentStatus.PENDING
    assert enqueued == [comment.pk]  # a worker scores and decides it like any other
    nudge.refresh_from_db()
    assert (nudge.outcome, nudge.comment) == (NudgeOutcome.REVISED, comment)
    assert nudge.resolved_at is not None


def test_posting_anyway_saves_it_for_the_worker_to_decide(
    model: Any,
    article: Any,
    reader_client: Client,
    enqueued: list[int],
    django_capture_on_commit_callbacks: Any,
) -> None:
    post(reader_client, {"body": TOXIC}, **HX)
    nudge = Nudge.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            reader_client, {"body": TOXIC, "nudge": nudge.pk, "nudge_action": "post-anyway"}
        )

    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"#comment-{comment.pk}")
    assert comment.status == CommentStatus.PENDING
    assert enqueued == [comment.pk]
    nudge.refresh_from_db()
    assert (nudge.outcome, nudge.comment) == (NudgeOutcome.POSTED_ANYWAY, comment)


def test_a_revision_still_flagged_is_nudged_again_in_the_same_nudge(
    model: Any, article: Any, reader_client: Client
) -> None:
    post(reader_client, {"body": TOXIC}, **HX)
    nudge = Nudge.objects.get()
    response = post(reader_client, {"body": TOXIC + " really", "nudge": nudge.pk}, **HX)
    assert NUDGED in response.content.decode()
    nudge.refresh_from_db()
    assert nudge.times_shown == 2
    assert Nudge.objects.count() == 1
    assert not Comment.objects.exists()


def test_a_polite_draft_is_posted_without_a_nudge(
    model: Any, article: Any, reader_client: Client
) -> None:
    response = post(reader_client, {"body": POLITE}, **HX)
    assert NUDGED not in response.content.decode()
    assert Comment.objects.get().body == POLITE
    assert not Nudge.objects.exists()


def test_the_setting_turns_the_nudge_off(
    model: Any, article: Any, reader_client: Client, settings: Any
) -> None:
    settings.COMMENT_NUDGE_ENABLED = False
    response = post(reader_client, {"body": TOXIC})
    assert response.status_code == 302
    assert Comment.objects.get().body == TOXIC
    assert not Nudge.objects.exists()


@pytest.mark.parametrize(
    "extra",
    [
        {"nudge": "not-a-number", "nudge_action": "post-anyway"},
        {"nudge": "999999", "nudge_action": "post-anyway"},
        {"nudge_action": "post-anyway"},
        {"nudge_action": "publish-it"},
    ],
)
def test_post_anyway_needs_the_readers_own_open_nudge(
    model: Any, article: Any, reader_client: Client, extra: dict[str, str]
) -> None:
    response = post(reader_client, {"body": TOXIC, **extra}, **HX)
    assert NUDGED in response.content.decode()
    assert not Comment.objects.exists()


def test_another_readers_or_an_expired_nudge_is_not_theirs_to_use(
    model: Any, article: Any, reader_client: Client, settings: Any
) -> None:
    someone = Nudge.objects.create(article=article, author=make_user("sam"))
    expired = Nudge.objects.create(
        article=article,
        author=make_user("rita-old"),
        created_at=timezone.now() - timedelta(hours=2),
    )
    for nudge in (someone, expired):
        data = {"body": TOXIC, "nudge": nudge.pk, "nudge_action": "post-anyway"}
        assert NUDGED in post(reader_client, data, **HX).content.decode()
        nudge.refresh_from_db()
        assert nudge.outcome == "" and nudge.times_shown == 1
    assert not Comment.objects.exists()


def test_visitors_are_sent_to_sign_in(model: Any, article: Any, client: Client) -> None:
    response = post(client, {"body": TOXIC})
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert not Nudge.objects.exists()


def test_the_summary_counts_outcomes_and_abandoned_nudges_by_query(
    article: Any, settings: Any
) -> None:
    settings.COMMENT_NUDGE_ABANDONED_AFTER_SECONDS = 600
    now = timezone.now()
    author = make_user("rita")

    def comment(status: str) -> Comment:
        return Comment.objects.create(article=article, author=author, body="x", status=status)

    Nudge.objects.create(
        article=article,
        author=author,
        outcome=NudgeOutcome.REVISED,
        comment=comment(CommentStatus.PUBLISHED),
    )
    Nudge.objects.create(
        article=article,
        author=author,
        outcome=NudgeOutcome.REVISED,
        comment=comment(CommentStatus.HELD),
    )
    Nudge.objects.create(
        article=article,
        author=author,
        outcome=NudgeOutcome.POSTED_ANYWAY,
        comment=comment(CommentStatus.REJECTED),
    )
    Nudge.objects.create(article=article, author=author, created_at=now - timedelta(minutes=11))
    Nudge.objects.create(article=article, author=author, created_at=now - timedelta(minutes=9))
    Nudge.objects.create(article=article, author=author, created_at=now - timedelta(days=30))

    summary = Nudge.objects.summary(since=now - timedelta(days=7), now=now)

    assert summary.shown == 5
    assert (summary.revised, summary.revised_published) == (2, 1)
    assert summary.posted_anyway == 1
    assert summary.abandoned == 1  # the other open one is still within its window
    assert summary.revised_published_share == pytest.approx(0.2)


def test_the_dashboard_shows_the_nudges(client: Client, article: Any) -> None:
    author = make_user("rita")
    published = Comment.objects.create(
        article=article, author=author, body="x", status=CommentStatus.PUBLISHED
    )
    Nudge.objects.create(
        article=article, author=author, outcome=NudgeOutcome.REVISED, comment=published
    )
    Nudge.objects.create(article=article, author=author)
    client.force_login(make_moderator())
    html = client.get(reverse("moderation:dashboard")).content.decode()
    assert "Nudges to readers" in html
    assert "<dt>Nudges shown</dt><dd>2</dd>" in html
    assert "50%" in html
    client.force_login(author)
    assert client.get(reverse("moderation:dashboard")).status_code == 403
