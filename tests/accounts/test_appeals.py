"""Why a comment waits, and appeals: the author's words, filing once, the moderators' Appeals
queue (uphold or overturn, audited), the author told, and overturns becoming training labels."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification, NotificationKind
from articles.models import Article
from comments.audit import record_comment_event
from comments.classifier.labels import LABELS
from comments.model_versions import moderator_decisions
from comments.models import Appeal, AppealStatus, CommentStatus, EventAction, ModerationEvent
from tests.factories import make_article, make_comment, make_user

pytestmark = pytest.mark.django_db


def rejected_by_model(author: Any, body: str = "You are an idiot and a liar.") -> Any:
    comment = make_comment(
        article=Article.objects.first() or make_article(),
        author=author,
        body=body,
        status=CommentStatus.REJECTED,
        reason_codes=["toxicity_over_reject"],
        scores={"toxicity": 0.97, "spam": 0.02},
    )
    record_comment_event(
        comment=comment,
        actor=None,
        action=EventAction.SCORED,
        from_status=CommentStatus.PENDING,
        to_status=CommentStatus.REJECTED,
    )
    return comment


def test_the_author_sees_why_in_the_guidelines_words_and_others_do_not(client: Client) -> None:
    rita = make_user("rita")
    comment = rejected_by_model(rita)
    client.force_login(rita)
    html = client.get(comment.article.get_absolute_url()).content.decode()
    assert "Not published because it very likely contains a personal attack" in html
    # No raw scores for readers (looked for in the comment alone: the page's poll URL carries a
    # timestamp whose microseconds may read "…0.97…").
    shown = html.split(f'id="comment-{comment.pk}"')[1].split("</article>")[0]
    assert "0.97" not in shown and "97%" not in shown
    assert reverse("accounts:appeal", args=[comment.pk]) in html
    client.force_login(make_user("otto"))
    assert "personal attack" not in client.get(comment.article.get_absolute_url()).content.decode()


def test_a_held_comment_says_why_too(client: Client) -> None:
    rita = make_user("rita")
    comment = make_comment(
        article=make_article(),
        author=rita,
        status=CommentStatus.HELD,
        reason_codes=["contains_link", "banned_word:idiot"],
    )
    client.force_login(rita)
    html = client.get(comment.article.get_absolute_url()).content.decode()
    assert "Held because it contains a link" in html
    assert "language our community guidelines do not allow" in html
    assert "idiot" not in html.split("comment__why")[1][:400]  # the matched word is not revealed


def test_an_author_appeals_once_with_a_note(client: Client) -> None:
    rita = make_user("rita")
    comment = rejected_by_model(rita)
    client.force_login(rita)
    url = reverse("accounts:appeal", args=[comment.pk])
    assert client.get(url).status_code == 200
    too_long = client.post(url, {"note": "x" * 501})
    assert too_long.status_code == 400 and Appeal.objects.count() == 0
    response = client.post(url, {"note": "I was quoting the article."})
    assert response.status_code == 302
    appeal = Appeal.objects.get()
    assert (appeal.note, appeal.appealed_status, appeal.automatic) == (
        "I was quoting the article.",
        CommentStatus.REJECTED,
        True,
    )
    assert appeal.reason_codes == ["toxicity_over_reject"] and appeal.scores["toxicity"] == 0.97
    assert ModerationEvent.objects.filter(action=EventAction.APPEAL_FILED, actor=rita).exists()
    again = client.post(url, {"note": "Please?"})
    assert again.status_code == 400 and Appeal.objects.count() == 1
    assert "already appealed" in again.content.decode()


def test_nobody_appeals_another_readers_comment_or_a_published_one(client: Client) -> None:
    comment = rejected_by_model(make_user("rita"))
    client.force_login(make_user("otto"))
    url = reverse("accounts:appeal", args=[comment.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"note": "mine now"}).status_code == 404
    published = make_comment(article=comment.article, author=comment.author, status="published")
    client.force_login(comment.author)
    assert client.post(reverse("accounts:appeal", args=[published.pk])).status_code == 400
    assert Appeal.objects.count() == 0
    assert Client().get(url).status_code == 302  # signed out: to the sign-in page


def appealed() -> Appeal:
    rita = make_user("rita")
    comment = rejected_by_model(rita)
    client = Client()
    client.force_login(rita)
    client.post(reverse("accounts:appeal", args=[comment.pk]), {"note": "Quoting the article."})
    return Appeal.objects.get()


def test_the_appeals_queue_shows_the_decision_reasons_scores_and_note(
    moderator_client: Client,
) -> None:
    appeal = appealed()
    html = moderator_client.get(reverse("moderation:appeals")).content.decode()
    assert "Quoting the article." in html
    assert "Toxicity over its reject threshold" in html and "toxicity: 97%" in html
    assert "taken automatically" in html
    assert f"appeal-{appeal.pk}" in html


def test_readers_cannot_see_or_decide_appeals(client: Client) -> None:
    appeal = appealed()
    client.force_login(appeal.author)
    assert client.get(reverse("moderation:appeals")).status_code == 403
    url = reverse("moderation:appeal-decide", args=[appeal.pk, "overturn"])
    assert client.post(url).status_code == 403
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.OPEN


def test_overturning_publishes_tells_the_author_and_becomes_a_training_label(
    moderator_client: Client, moderator: Any
) -> None:
    appeal = appealed()
    url = reverse("moderation:appeal-decide", args=[appeal.pk, "overturn"])
    assert moderator_client.post(url).status_code == 302
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.OVERTURNED and appeal.decided_by == moderator
    assert appeal.comment.status == CommentStatus.PUBLISHED
    event = ModerationEvent.objects.filter(comment=appeal.comment).last()
    assert event is not None and (event.action, event.actor) == (EventAction.RESTORED, moderator)
    told = Notification.objects.get(recipient=appeal.author)
    assert told.kind == NotificationKind.APPEAL and "succeeded" in told.text
    # The comment the model rejected is now labelled "none of the labels" for training.
    decisions = moderator_decisions(labels=LABELS)
    texts = [text for d in decisions.values() for text in d.texts]
    assert appeal.comment.body in texts
    # Deciding twice does nothing more.
    assert moderator_client.post(url).status_code == 302
    assert Notification.objects.filter(recipient=appeal.author).count() == 1


def test_upholding_keeps_the_decision_audited_and_tells_the_author(
    moderator_client: Client, moderator: Any
) -> None:
    appeal = appealed()
    moderator_client.post(reverse("moderation:appeal-decide", args=[appeal.pk, "uphold"]))
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.UPHELD
    assert appeal.comment.status == CommentStatus.REJECTED
    assert ModerationEvent.objects.filter(
        action=EventAction.APPEAL_UPHELD, actor=moderator, comment=appeal.comment
    ).exists()
    assert "stays unpublished" in Notification.objects.get(recipient=appeal.author).text
    bad = moderator_client.post(reverse("moderation:appeal-decide", args=[appeal.pk, "maybe"]))
    assert bad.status_code == 400


def test_the_dashboard_shows_appeal_and_overturn_rates_per_reason(
    moderator_client: Client, moderator: Any
) -> None:
    from moderation import oversight

    appeal = appealed()  # one toxicity rejection, appealed
    rejected_by_model(make_user("otto"), body="Another one")  # same reason, not appealed
    moderator_client.post(reverse("moderation:appeal-decide", args=[appeal.pk, "overturn"]))
    [rate] = oversight.appeal_rates(appeal.created_at - timedelta(days=1))
    assert (rate.code, rate.decisions, rate.appeals, rate.decided, rate.overturned) == (
        "toxicity_over_reject",
        2,
        1,
        1,
        1,
    )
    assert rate.appeal_rate == 0.5 and rate.overturn_rate == 1.0
    html = moderator_client.get(reverse("moderation:dashboard")).content.decode()
    assert "Appeals by reason" in html and "1 of 1 decided" in html and "50%" in html


def test_an_overturned_held_comment_tells_its_author_once(
    moderator_client: Client, moderator: Any
) -> None:
    # Publishing a held comment normally tells its author "is published"; on appeal, the appeal's
    # own notification says so, and the held-and-published one must not say it a second time.
    from accounts import services

    rita = make_user("rita")
    comment = make_comment(
        article=make_article(),
        author=rita,
        status=CommentStatus.HELD,
        reason_codes=["contains_link"],
    )
    client = Client()
    client.force_login(rita)
    client.post(
        reverse("accounts:appeal", args=[comment.pk]), {"note": "It is the council's page."}
    )
    appeal = Appeal.objects.get()
    moderator_client.post(reverse("moderation:appeal-decide", args=[appeal.pk, "overturn"]))
    assert ModerationEvent.objects.filter(
        comment=comment, action=EventAction.APPROVED, from_status=CommentStatus.HELD
    ).exists()
    ModerationEvent.objects.update(created_at=timezone.now() - timedelta(seconds=5))
    services.dispatch_notifications()
    told = list(Notification.objects.filter(recipient=rita).values_list("kind", flat=True))
    assert told == [NotificationKind.APPEAL]
    # A held comment published without an appeal still tells its author.
    other = make_comment(article=comment.article, author=rita, status=CommentStatus.HELD)
    moderator_client.post(reverse("moderation:decide", args=[other.pk, "approve"]))
    ModerationEvent.objects.update(created_at=timezone.now() - timedelta(seconds=5))
    services.dispatch_notifications()
    assert Notification.objects.filter(recipient=rita, kind=NotificationKind.DECIDED).count() == 1
