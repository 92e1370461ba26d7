from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse

from articles.models import CommentPolicy
from comments.models import Comment
from tests.factories import make_article, make_comment, make_user

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    from comments.tasks import score_comment

    sent: list[int] = []
    monkeypatch.setattr(score_comment, "apply_async", lambda args, **kw: sent.append(args[0]))
    return sent


@pytest.fixture
def reader_client(client: Client) -> Client:
    client.force_login(make_user("rita"))
    return client


def post_url(slug: str = "launch-story") -> str:
    return reverse("comments:post", kwargs={"slug": slug})


def test_it_saves_and_redirects_to_the_comment_without_javascript(
    reader_client: Client, enqueued: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    article = make_article()
    with django_capture_on_commit_callbacks(execute=True):
        response = reader_client.post(post_url(), {"body": "Line one\nLine two"})
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{article.get_absolute_url()}#comment-{comment.pk}"
    assert comment.body == "Line one\nLine two"
    assert comment.is_pending
    assert enqueued == [comment.pk]
    page = reader_client.get(article.get_absolute_url())
    assert "Awaiting moderation" in page.content.decode()


def test_it_returns_the_new_comment_and_a_fresh_form_to_htmx(
    reader_client: Client, enqueued: list[int]
) -> None:
    make_article()
    response = reader_client.post(post_url(), {"body": "Quick <b>take</b>"}, **HX)
    html = response.content.decode()
    comment = Comment.objects.get()
    assert response.status_code == 200
    assert 'hx-swap-oob="afterbegin:#own-comments"' in html
    assert f'id="comment-{comment.pk}"' in html
    assert "Awaiting moderation" in html
    assert "Quick &lt;b&gt;take&lt;/b&gt;" in html  # escaped
    assert f'hx-get="/comments/{comment.pk}/"' in html  # polls until decided
    assert 'id="comment-form"' in html
    assert "Quick" not in html.split('id="comment-form"')[1].split("</form>")[0]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "the comment is empty"),
        ("   \n\t ", "the comment is empty"),
        ("x" * 5001, "limited to 5000 characters"),
    ],
)
def test_it_explains_bad_input_inline_and_saves_nothing(
    reader_client: Client, body: str, message: str
) -> None:
    make_article()
    response = reader_client.post(post_url(), {"body": body}, **HX)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Comment.objects.exists()
    plain = reader_client.post(post_url(), {"body": body})
    assert plain.status_code == 400
    assert message in plain.content.decode()
    assert not Comment.objects.exists()


def test_it_accepts_exactly_5000_characters(reader_client: Client, enqueued: list[int]) -> None:
    make_article()
    reader_client.post(post_url(), {"body": "y" * 5000})
    assert Comment.objects.get().body == "y" * 5000


def test_it_refuses_comments_on_a_closed_article(reader_client: Client) -> None:
    make_article(policy=CommentPolicy.CLOSED)
    response = reader_client.post(post_url(), {"body": "Hello"})
    assert response.status_code == 400
    assert "Comments are closed on this article." in response.content.decode()
    assert not Comment.objects.exists()


def test_it_answers_404_for_an_unknown_article(reader_client: Client) -> None:
    assert reader_client.post(post_url("no-such-story"), {"body": "Hello"}).status_code == 404


def test_it_refuses_a_post_without_a_csrf_token() -> None:
    make_article()
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user())
    assert client.post(post_url(), {"body": "Hello"}).status_code == 403
    assert not Comment.objects.exists()


def test_it_limits_how_fast_an_account_posts(
    reader_client: Client, enqueued: list[int], settings: Any
) -> None:
    settings.COMMENT_RATE_LIMIT = 2
    article = make_article()
    for body in ("one", "two"):
        assert reader_client.post(post_url(), {"body": body}).status_code == 302
    response = reader_client.post(post_url(), {"body": "three"}, **HX)
    assert "You are posting too fast: at most 2 comments in 60 seconds" in response.content.decode()
    assert reader_client.post(post_url(), {"body": "three"}).status_code == 429
    assert Comment.objects.count() == 2
    # Another reader is not slowed by Rita's pace.
    other = Client()
    other.force_login(make_user("otto"))
    assert other.post(post_url(), {"body": "mine"}).status_code == 302
    assert article.comments.count() == 3


def test_it_sends_anonymous_readers_to_sign_in_and_back(client: Client) -> None:
    article = make_article()
    response = client.post(post_url(), {"body": "Hello"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "next=" in response["Location"] and article.slug in response["Location"]
    login = client.get(response["Location"]).content.decode()
    assert "You are signed out, so your comment was not posted. Sign in to post it." in login
    hx = client.post(post_url(), {"body": "Hello"}, **HX)
    back = quote(f"{article.get_absolute_url()}#comment-form", safe="/")
    assert hx["HX-Redirect"] == f"{reverse('login')}?next={back}"
    # newsroom.js keeps the text in the tab and puts it back in the form after signing in.
    login = client.get(hx["HX-Redirect"]).content.decode()
    assert "Sign in: your text is kept in this tab and will be back in the form." in login
    assert not Comment.objects.exists()


def test_it_shows_the_author_their_comments_state_as_it_changes(client: Client) -> None:
    rita = make_user("rita")
    client.force_login(rita)
    comment = make_comment(article=make_article(), author=rita)
    url = reverse("comments:detail", kwargs={"pk": comment.pk})
    assert "Awaiting moderation" in client.get(url, **HX).content.decode()
    comment.status = "held"
    comment.save()
    held = client.get(url, **HX).content.decode()
    assert "Held for review" in held
    assert "hx-trigger" not in held  # polling stops once decided


def test_it_updates_the_count_when_the_authors_comment_is_published(client: Client) -> None:
    rita = make_user("rita")
    client.force_login(rita)
    article = make_article()
    make_comment(article=article, author=make_user("otto"), status="published")
    comment = make_comment(article=article, author=rita)
    url = reverse("comments:detail", kwargs={"pk": comment.pk})
    assert 'id="comments-count"' not in client.get(url, **HX).content.decode()
    comment.status = "held"
    comment.save()
    assert 'id="comments-count"' not in client.get(url, **HX).content.decode()
    comment.status = "published"
    comment.save()
    published = client.get(url, **HX).content.decode()
    assert "Published" in published
    assert (
        '<h3 id="comments-count" class="comments__count" hx-swap-oob="true">2 comments</h3>'
        in published
    )
    page = client.get(article.get_absolute_url()).content.decode()
    assert '<h3 id="comments-count" class="comments__count">2 comments</h3>' in page


def test_it_hides_another_readers_undecided_comment(client: Client) -> None:
    comment = make_comment(article=make_article(), author=make_user("rita"))
    client.force_login(make_user("otto"))
    assert (
        client.get(reverse("comments:detail", kwargs={"pk": comment.pk}), **HX).status_code == 404
    )


def test_it_sends_a_plain_request_for_a_fragment_to_the_article(client: Client) -> None:
    article = make_article()
    comment = make_comment(article=article, author=make_user(), status="published")
    response = client.get(reverse("comments:detail", kwargs={"pk": comment.pk}))
    assert response["Location"] == f"{article.get_absolute_url()}#comment-{comment.pk}"
