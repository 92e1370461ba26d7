from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from django.template import Context, Template
from django.test import Client
from django.utils import timezone

from articles.models import CommentPolicy
from comments.models import shown_time
from tests.factories import make_article, make_comment, make_user

pytestmark = pytest.mark.django_db


def test_it_shows_the_article_and_its_published_comments(client: Client) -> None:
    article = make_article(title="Troops return", body="Para one.\n\nPara two.")
    make_comment(
        article=article,
        author=make_user("ann"),
        body="Seen <script>x</script>\nnext line",
        status="published",
    )
    make_comment(article=article, author=make_user("bob"), body="not yet", status="pending")
    make_comment(article=article, author=make_user("cat"), body="held one", status="held")
    html = client.get(article.get_absolute_url()).content.decode()
    assert '<h1 class="story__title">Troops return</h1>' in html
    assert "<p>Para one.</p>" in html and "<p>Para two.</p>" in html
    assert "Add your comments below" in html
    assert "1 comment</h3>" in html
    assert "Seen &lt;script&gt;x&lt;/script&gt;<br>next line" in html
    assert "not yet" not in html and "held one" not in html


def test_it_invites_anonymous_readers_to_sign_in_and_come_back(client: Client) -> None:
    article = make_article()
    html = client.get(article.get_absolute_url()).content.decode()
    assert 'id="comment-form"' not in html
    assert f"/accounts/login/?next={article.get_absolute_url()}%23comments" in html


def test_it_shows_signed_in_readers_the_form_and_their_own_waiting_comments(client: Client) -> None:
    article = make_article()
    rita = make_user("rita")
    make_comment(article=article, author=rita, body="my pending one")
    make_comment(article=article, author=rita, body="my held one", status="held")
    make_comment(article=article, author=make_user("otto"), body="otto's pending")
    client.force_login(rita)
    html = client.get(article.get_absolute_url()).content.decode()
    assert 'id="comment-form"' in html
    assert "my pending one" in html and "Awaiting moderation" in html
    assert "my held one" in html and "Held for review" in html
    assert "otto's pending" not in html


def test_it_shows_a_notice_and_no_form_when_comments_are_closed(client: Client) -> None:
    article = make_article(policy=CommentPolicy.CLOSED)
    client.force_login(make_user())
    html = client.get(article.get_absolute_url()).content.decode()
    assert "Comments are closed on this article." in html
    assert 'id="comment-form"' not in html


def test_it_paginates_comments_fifty_a_page(client: Client) -> None:
    article = make_article()
    author = make_user()
    for i in range(51):
        make_comment(
            article=article, author=author, body=f"comment number {i:02d}", status="published"
        )
    first = client.get(article.get_absolute_url()).content.decode()
    assert "51 comments" in first
    assert "comment number 49" in first and "comment number 50" not in first
    assert '<a href="?page=2#comments" rel="next">Later →</a>' in first
    second = client.get(article.get_absolute_url() + "?page=2").content.decode()
    assert "comment number 50" in second and "comment number 49" not in second
    assert '<a href="?page=1#comments" rel="prev">← Earlier</a>' in second


@pytest.mark.parametrize("signed_in", [False, True])
def test_it_does_not_grow_its_queries_with_the_number_of_comments(
    client: Client, signed_in: bool
) -> None:
    article = make_article()
    reader = make_user("rita")
    if signed_in:
        client.force_login(reader)

    def count_queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        cache.clear()  # the section rendered afresh, not the signed-out reader's cached one
        with CaptureQueriesContext(connection) as queries:
            assert client.get(article.get_absolute_url()).status_code == 200
        return len(queries)

    make_comment(article=article, author=make_user("u0"), status="published")
    make_comment(article=article, author=reader, status="pending")
    few = count_queries()
    for i in range(1, 40):
        make_comment(article=article, author=make_user(f"u{i}"), status="published")
        make_comment(article=article, author=reader, status="held")
    assert count_queries() == few


def test_it_answers_404_for_an_unknown_article(client: Client) -> None:
    assert client.get("/articles/nope/").status_code == 404


def test_it_shows_the_photo_credit_as_a_plain_line_after_the_story(client: Client) -> None:
    article = make_article(photo_credit="Editorial credit: Jo Bloggs / Agency")
    html = client.get(article.get_absolute_url()).content.decode()
    credit = (
        '<footer class="story__footer">'
        '<p class="story__credit">Editorial credit: Jo Bloggs / Agency</p></footer>'
    )
    assert html.count("Jo Bloggs") == 1
    assert html.index('<div class="story__body">') < html.index(credit)  # not under the byline


@pytest.mark.parametrize("zone", ["UTC", "Europe/London", "America/St_Johns", "Asia/Kolkata"])
@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 1, 5, 9, 7, 3, 120, tzinfo=UTC),
        datetime(2026, 3, 29, 0, 59, tzinfo=UTC),  # an hour before London's clocks go forward
        datetime(2026, 10, 25, 1, 30, tzinfo=UTC),  # London's repeated hour
        datetime(999, 12, 31, 23, 0, tzinfo=UTC),  # a four-digit year, padded
    ],
)
def test_it_shows_a_comments_times_as_the_date_filters_would(zone: str, moment: datetime) -> None:
    template = Template("{{ t|date:'c' }}|{{ t|date:'j F Y, H:i' }}|{{ t|date:'j M Y, H:i' }}")
    with timezone.override(zone):
        expected = template.render(Context({"t": moment}))
        shown = shown_time(moment)
    assert "|".join(shown) == expected
