"""The rules page: banned and suspect words, and each article's comment settings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, CommentPolicy
from comments.models import EventAction, ModerationEvent, WordRule
from tests.factories import make_article, make_user

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
RULES = reverse("moderation:rules")
ADD = reverse("moderation:rule-add")


@pytest.fixture
def article() -> Article:
    return make_article(title="Budget <night>")


def settings_url(article: Article) -> str:
    return reverse("moderation:article-settings", kwargs={"slug": article.slug})


def test_it_lists_both_word_lists_and_the_articles(
    moderator_client: Client, article: Article
) -> None:
    WordRule.objects.create(phrase="<idiot>", kind="banned")
    WordRule.objects.create(phrase="shill", kind="suspect")
    html = moderator_client.get(RULES).content.decode()
    assert "&lt;idiot&gt;" in html and "<idiot>" not in html
    assert "shill" in html
    assert "Budget &lt;night&gt;" in html
    assert settings_url(article) in html


def test_it_pages_through_the_articles(moderator_client: Client) -> None:
    for n in range(21):
        make_article(f"story-{n}")
    first = moderator_client.get(RULES).content.decode()
    assert '<a href="?page=2" rel="next">Older →</a>' in first
    assert "Page 1 of 2" in moderator_client.get(RULES, {"page": "1"}).content.decode()


def test_it_adds_a_word_with_htmx_and_audits_it(moderator_client: Client) -> None:
    response = moderator_client.post(ADD, {"phrase": "  Free   money ", "kind": "suspect"}, **HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="word-lists"')
    assert "Added “Free money”." in html
    rule = WordRule.objects.get()
    assert (rule.phrase, rule.kind, rule.created_by.username) == ("Free money", "suspect", "mona")
    event = ModerationEvent.objects.get()
    assert (event.action, event.note) == (
        EventAction.RULE_CHANGED,
        "Added suspect word “Free money”.",
    )


def test_it_adds_a_word_without_javascript(moderator_client: Client) -> None:
    response = moderator_client.post(ADD, {"phrase": "idiot", "kind": "banned"}, follow=True)
    assert response.redirect_chain == [(RULES, 302)]
    assert "Added “idiot”." in response.content.decode()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"phrase": "", "kind": "banned"}, "Type the word or phrase to add."),
        ({"phrase": "x" * 101, "kind": "banned"}, "Keep it under 100 characters."),
        ({"phrase": "ok", "kind": "forbidden"}, "Choose the banned or the suspect list."),
        ({"phrase": "!", "kind": "banned"}, "A rule needs at least two characters or one letter."),
        ({"phrase": "IDIOT", "kind": "suspect"}, "“idiot” is already on the banned list."),
    ],
)
def test_it_explains_bad_input(moderator_client: Client, data: dict[str, str], error: str) -> None:
    WordRule.objects.create(phrase="idiot", kind="banned")
    plain = moderator_client.post(ADD, data)
    assert plain.status_code == 400
    assert error in plain.content.decode()
    htmx = moderator_client.post(ADD, data, **HX)
    assert htmx.status_code == 200
    assert error in htmx.content.decode()
    assert WordRule.objects.count() == 1
    assert not ModerationEvent.objects.exists()


def test_it_removes_a_word_and_audits_it(moderator_client: Client) -> None:
    rule = WordRule.objects.create(phrase="idiot", kind="banned")
    url = reverse("moderation:rule-remove", kwargs={"pk": rule.pk})
    html = moderator_client.post(url, **HX).content.decode()
    assert "Removed “idiot”." in html and "No banned words." in html
    assert not WordRule.objects.exists()
    assert ModerationEvent.objects.get().note == "Removed banned word “idiot”."
    assert moderator_client.post(url).status_code == 404


def test_it_changes_an_articles_settings_with_htmx(
    moderator_client: Client, article: Article
) -> None:
    data = {"comment_policy": "premoderate", "close_comments_after_days": "14"}
    response = moderator_client.post(settings_url(article), data, **HX)
    html = response.content.decode()
    assert html.lstrip().startswith('<form id="article-settings"')
    assert "Saved." in html
    article.refresh_from_db()
    assert (article.comment_policy, article.close_comments_after_days) == ("premoderate", 14)
    assert ModerationEvent.objects.get().note == (
        "“Budget <night>”: Pre-moderate: every comment waits for a moderator; "
        "closes 14 days after publication."
    )


def test_it_changes_an_articles_settings_without_javascript(
    moderator_client: Client, article: Article
) -> None:
    response = moderator_client.post(
        settings_url(article),
        {"comment_policy": "closed", "close_comments_after_days": ""},
        follow=True,
    )
    assert response.redirect_chain == [(settings_url(article), 302)]
    article.refresh_from_db()
    assert (article.comment_policy, article.close_comments_after_days) == ("closed", None)
    assert "Comments are closed on this article." in response.content.decode()


def test_it_says_when_an_article_closed_by_itself(moderator_client: Client) -> None:
    old = make_article("old", published_at=timezone.now() - timedelta(days=30))
    moderator_client.post(
        settings_url(old), {"comment_policy": "open", "close_comments_after_days": "7"}
    )
    assert "(closed by time)" in moderator_client.get(RULES).content.decode()
    assert "closed on" in moderator_client.get(settings_url(old)).content.decode()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"comment_policy": "sometimes"}, "Select a valid choice."),
        ({"comment_policy": "open", "close_comments_after_days": "soon"}, "Enter a whole number"),
        ({"comment_policy": "open", "close_comments_after_days": "0"}, "from 1 to 3650"),
        ({"comment_policy": "open", "close_comments_after_days": "99999"}, "from 1 to 3650"),
        ({"comment_policy": "open", "close_comments_after_days": "-3"}, "from 1"),
    ],
)
def test_it_explains_bad_article_settings(
    moderator_client: Client, article: Article, data: dict[str, str], error: str
) -> None:
    plain = moderator_client.post(settings_url(article), data)
    assert plain.status_code == 400
    assert error in plain.content.decode()
    htmx = moderator_client.post(settings_url(article), data, **HX)
    assert htmx.status_code == 200 and error in htmx.content.decode()
    article.refresh_from_db()
    assert (article.comment_policy, article.close_comments_after_days) == (CommentPolicy.OPEN, None)
    assert not ModerationEvent.objects.exists()


def all_urls(article: Article) -> list[tuple[str, str]]:
    rule = WordRule.objects.create(phrase="idiot", kind="banned")
    return [
        ("get", RULES),
        ("post", ADD),
        ("post", reverse("moderation:rule-remove", kwargs={"pk": rule.pk})),
        ("get", settings_url(article)),
        ("post", settings_url(article)),
    ]


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_it_forbids_readers_every_rules_url(client: Client, article: Article, htmx: bool) -> None:
    client.force_login(make_user("rita"))
    for method, path in all_urls(article):
        assert getattr(client, method)(path, **(HX if htmx else {})).status_code == 403, path
    assert WordRule.objects.count() == 1


def test_it_sends_anonymous_visitors_to_sign_in(client: Client, article: Article) -> None:
    for method, path in all_urls(article):
        response = getattr(client, method)(path)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
