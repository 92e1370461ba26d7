"""A reader reports a published comment; enough reports hide it until a moderator decides."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import Settings

from articles.models import Article
from comments import services
from comments.models import (
    AuthorStanding,
    Comment,
    CommentStatus,
    EventAction,
    ModerationEvent,
    Report,
)
from comments.services import AlreadyReported, CannotReport, hide_if_reported, report_comment
from tests.factories import (
    make_article,
    make_comment,
    make_established_reader,
    make_moderator,
    make_user,
)

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def article() -> Article:
    return make_article()


@pytest.fixture
def published(article: Article) -> Comment:
    return make_comment(
        article=article, author=make_user("writer"), body="Hot <take>", status="published"
    )


def url(comment: Comment) -> str:
    return reverse("comments:report", kwargs={"pk": comment.pk})


def signed_in(client: Client, username: str = "rita") -> Client:
    client.force_login(make_user(username))
    return client


def test_it_shows_a_report_control_on_others_published_comments_only(
    client: Client, article: Article, published: Comment
) -> None:
    reader = make_user("rita")
    own = make_comment(article=article, author=reader, body="Mine", status="published")
    client.force_login(reader)
    html = client.get(article.get_absolute_url()).content.decode()
    assert f'action="{url(published)}"' in html
    assert f'action="{url(own)}"' not in html
    assert "Hot &lt;take&gt;" in html


def test_it_shows_no_report_control_to_anonymous_visitors(
    client: Client, article: Article, published: Comment
) -> None:
    html = client.get(article.get_absolute_url()).content.decode()
    assert url(published) not in html


def test_it_records_a_report_with_htmx_and_thanks_the_reader(
    client: Client, published: Comment
) -> None:
    response = signed_in(client).post(url(published), {"reason": "spam", "note": "ads"}, **HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="report-{published.pk}"' in html
    assert "Thank you: the moderators will look at this comment." in html
    report = Report.objects.get()
    assert (report.reporter.username, report.reason, report.note) == ("rita", "spam", "ads")
    assert Comment.objects.reported().get() == published


def test_it_records_a_report_without_javascript_and_redirects_back(
    client: Client, published: Comment
) -> None:
    response = signed_in(client).post(url(published), {"reason": "abusive"}, follow=True)
    assert response.redirect_chain[0][0].endswith(f"#comment-{published.pk}")
    assert "Thank you: the moderators will look at this comment." in response.content.decode()
    assert "You reported this comment." in response.content.decode()
    assert Report.objects.count() == 1


def test_it_says_so_when_a_reader_reports_twice(client: Client, published: Comment) -> None:
    signed_in(client).post(url(published), {"reason": "spam"}, **HX)
    again = client.post(url(published), {"reason": "abusive"}, **HX)
    assert "You have already reported this comment." in again.content.decode()
    plain = client.post(url(published), {"reason": "abusive"}, follow=True)
    assert "You have already reported this comment." in plain.content.decode()
    assert Report.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, "Choose why you are reporting this comment."),
        ({"reason": "boring"}, "Choose one of the listed reasons."),
        ({"reason": "other"}, "Say in a few words what is wrong"),
        ({"reason": "spam", "note": "x" * 501}, "Keep the note under 500 characters."),
    ],
)
def test_it_explains_bad_input(
    client: Client, published: Comment, data: dict[str, str], error: str
) -> None:
    signed_in(client)
    htmx = client.post(url(published), data, **HX)
    assert htmx.status_code == 200
    assert error in htmx.content.decode()
    plain = client.post(url(published), data, follow=True)
    assert plain.status_code == 200
    assert error in plain.content.decode()
    assert not Report.objects.exists()


def test_it_refuses_a_report_on_ones_own_comment(client: Client, published: Comment) -> None:
    client.force_login(published.author)
    response = client.post(url(published), {"reason": "spam"}, **HX)
    assert "You cannot report your own comment." in response.content.decode()
    assert not Report.objects.exists()


def test_it_sends_anonymous_readers_to_sign_in(client: Client, published: Comment) -> None:
    plain = client.post(url(published), {"reason": "spam"})
    assert plain.status_code == 302
    assert plain["Location"].startswith(reverse("login"))
    htmx = client.post(url(published), {"reason": "spam"}, **HX)
    assert htmx["HX-Redirect"].startswith(reverse("login"))


@pytest.mark.parametrize("status", ["pending", "held", "rejected"])
def test_it_answers_404_for_comments_the_public_does_not_see(
    client: Client, article: Article, status: str
) -> None:
    comment = make_comment(article=article, author=make_user("writer"), status=status)
    assert signed_in(client).post(url(comment), {"reason": "spam"}).status_code == 404


def test_it_hides_a_comment_once_enough_distinct_readers_report_it(
    client: Client, settings: Settings, article: Article, published: Comment
) -> None:
    settings.MODERATION_HIDE_AFTER_REPORTS = 3
    for name in ["r1", "r2"]:
        report_comment(comment=published, reporter=make_established_reader(name), reason="abusive")
    published.refresh_from_db()
    assert published.hidden_at is None
    report_comment(comment=published, reporter=make_established_reader("r3"), reason="spam")
    published.refresh_from_db()
    assert published.hidden_at is not None
    assert published.status == CommentStatus.PUBLISHED
    event = ModerationEvent.objects.get(comment=published)
    assert (event.action, event.actor, event.note) == (
        EventAction.HIDDEN,
        None,
        "Hidden after 3 readers reported it.",
    )
    assert "Hot &lt;take&gt;" not in client.get(article.get_absolute_url()).content.decode()
    assert (
        client.get(reverse("comments:detail", kwargs={"pk": published.pk}), **HX).status_code == 404
    )
    # Its author still sees it, and why it is not shown.
    client.force_login(published.author)
    own = client.get(article.get_absolute_url()).content.decode()
    assert "Hidden after readers' reports: a moderator will decide" in own


def test_it_refuses_a_second_report_from_the_same_reader_in_the_service(
    published: Comment,
) -> None:
    reader = make_user("rita")
    report_comment(comment=published, reporter=reader, reason="spam")
    with pytest.raises(AlreadyReported):
        report_comment(comment=published, reporter=reader, reason="other", note="again")


def test_it_resolves_reports_when_a_moderator_rejects_the_comment(
    settings: Settings, published: Comment
) -> None:
    settings.MODERATION_HIDE_AFTER_REPORTS = 1
    report_comment(comment=published, reporter=make_established_reader("r1"), reason="spam")
    services.reject_comment(comment=published, moderator=make_moderator())
    published.refresh_from_db()
    assert (published.status, published.hidden_at) == ("rejected", None)
    assert not Comment.objects.reported().exists()


def test_it_hides_again_a_comment_whose_reports_were_reopened(
    settings: Settings, published: Comment
) -> None:
    settings.MODERATION_HIDE_AFTER_REPORTS = 2
    Report.objects.create(comment=published, reporter=make_established_reader("r1"), reason="spam")
    assert hide_if_reported(comment=published) is False
    Report.objects.create(comment=published, reporter=make_established_reader("r2"), reason="spam")
    assert hide_if_reported(comment=published) is True
    assert published.hidden_at is not None
    assert hide_if_reported(comment=published) is False  # already hidden: one HIDDEN event
    assert ModerationEvent.objects.filter(action=EventAction.HIDDEN).count() == 1


def test_fresh_accounts_cannot_hide_a_comment_by_reporting_it(
    settings: Settings, published: Comment
) -> None:
    settings.MODERATION_HIDE_AFTER_REPORTS = 3
    settings.MODERATION_REPORTER_MIN_AGE_DAYS = 3
    # Three accounts made a minute ago, each with a published comment.
    for name in ["sock1", "sock2", "sock3"]:
        sock = make_user(name)
        make_comment(article=published.article, author=sock, status="published")
        report_comment(comment=published, reporter=sock, reason="abusive")
    # And three old accounts that never had a comment published.
    for name in ["lurk1", "lurk2", "lurk3"]:
        lurker = make_user(name, date_joined=timezone.now() - timedelta(days=30))
        report_comment(comment=published, reporter=lurker, reason="abusive")
    published.refresh_from_db()
    assert published.hidden_at is None and published.is_visible
    # Their reports still bring it to the moderators.
    assert Comment.objects.reported().get() == published
    assert Report.objects.counting_towards_hiding().count() == 0


def test_an_account_counts_once_it_is_old_enough(settings: Settings, published: Comment) -> None:
    settings.MODERATION_HIDE_AFTER_REPORTS = 1
    settings.MODERATION_REPORTER_MIN_AGE_DAYS = 3
    reader = make_user("rita", date_joined=timezone.now() - timedelta(days=3, minutes=1))
    make_comment(article=published.article, author=reader, status="published")
    report_comment(comment=published, reporter=reader, reason="spam")
    published.refresh_from_db()
    assert published.hidden_at is not None


@pytest.mark.parametrize(
    ("standing", "message"),
    [
        (
            {"banned_at": timezone.now()},
            "Your account has been banned: you cannot report comments.",
        ),
        (
            {"suspended_until": timezone.now() + timedelta(days=1)},
            "Your account is suspended: you cannot report comments until",
        ),
    ],
)
def test_banned_and_suspended_readers_cannot_report(
    client: Client, published: Comment, standing: dict[str, Any], message: str
) -> None:
    reader = make_established_reader("rita", article=published.article)
    AuthorStanding.objects.create(author=reader, **standing)
    client.force_login(reader)
    htmx = client.post(url(published), {"reason": "spam"}, **HX)
    assert htmx.status_code == 200
    assert message in htmx.content.decode()
    plain = client.post(url(published), {"reason": "spam"}, follow=True)
    assert message in plain.content.decode()
    with pytest.raises(CannotReport):
        report_comment(comment=published, reporter=reader, reason="spam")
    assert not Report.objects.exists()


def test_a_banned_readers_earlier_reports_stop_counting(
    settings: Settings, published: Comment
) -> None:
    settings.MODERATION_HIDE_AFTER_REPORTS = 2
    first = make_established_reader("r1", article=published.article)
    report_comment(comment=published, reporter=first, reason="spam")
    AuthorStanding.objects.create(author=first, banned_at=timezone.now())
    report_comment(
        comment=published,
        reporter=make_established_reader("r2", article=published.article),
        reason="spam",
    )
    published.refresh_from_db()
    assert published.hidden_at is None


def test_a_report_asks_for_the_explanation_a_published_comment_was_decided_without(
    article: Article, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    from comments import tasks

    asked: list[int] = []
    monkeypatch.setattr(tasks, "enqueue_explanation", lambda comment_id: asked.append(comment_id))
    author = make_user()
    unexplained = make_comment(
        article=article, author=author, status="published", scores={"toxicity": 0.1}
    )
    explained = make_comment(
        article=article,
        author=author,
        status="published",
        scores={"toxicity": 0.1},
        explanations={"toxicity": []},
    )
    with django_capture_on_commit_callbacks(execute=True):
        report_comment(comment=unexplained, reporter=make_user("r1"), reason="spam")
        report_comment(comment=explained, reporter=make_user("r2"), reason="spam")
    assert asked == [unexplained.pk]
