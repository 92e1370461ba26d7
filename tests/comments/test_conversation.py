"""The readers' conversation: replies, reactions, sorting, writing (issue 11)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries, Settings

from comments.models import AuthorStanding, Comment, CommentStatus, Reaction
from comments.services import submit_comment
from tests.factories import make_article, make_comment, make_user

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def published(article: Any, author: Any, body: str = "A considered view.", **kw: Any) -> Comment:
    return make_comment(article=article, author=author, body=body, status="published", **kw)


def reply_to(parent: Comment, author: Any, body: str = "A reply.", **kw: Any) -> Comment:
    """A published reply, stored as submit_comment stores one."""
    comment = submit_comment(article=parent.article, author=author, body=body, parent=parent)
    Comment.objects.filter(pk=comment.pk).update(status=CommentStatus.PUBLISHED, **kw)
    comment.refresh_from_db()
    Comment.objects.filter(pk=parent.pk).refresh_reply_counts()
    return comment


def ban(user: Any) -> None:
    AuthorStanding.objects.create(author=user, banned_at=timezone.now(), ban_reason="abuse")


# Replies ---------------------------------------------------------------------------------------


def test_it_posts_a_reply_pending_in_the_parents_thread(
    client: Client, enqueued: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    article = make_article()
    parent = published(article, make_user("ann"))
    client.force_login(make_user("rita"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("comments:reply", args=[parent.pk]), {"body": "I agree."})
    reply = Comment.objects.get(body="I agree.")
    assert response.status_code == 302
    assert response["Location"] == f"{article.get_absolute_url()}#comment-{reply.pk}"
    assert (reply.parent, reply.root, reply.depth, reply.status) == (parent, parent, 1, "pending")
    assert enqueued == [reply.pk]  # the same scoring path as any comment


def test_it_answers_htmx_with_the_pending_reply_in_place(
    client: Client, enqueued: list[int]
) -> None:
    parent = published(make_article(), make_user("ann"))
    client.force_login(make_user("rita"))
    response = client.post(reverse("comments:reply", args=[parent.pk]), {"body": "Yes."}, **HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Your reply is posted" in html and "Awaiting moderation" in html and "Yes." in html


def test_it_shows_the_reply_form_at_the_top_without_javascript_and_in_place_with_htmx(
    client: Client,
) -> None:
    parent = published(make_article(), make_user("ann"), body="Original point")
    client.force_login(make_user("rita"))
    url = reverse("comments:reply", args=[parent.pk])
    page = client.get(url).content.decode()
    assert "Replying to ann" in page and f'id="reply-form-{parent.pk}"' in page
    assert "<h1" in page  # the whole article page
    fragment = client.get(url, **HX).content.decode()
    assert f'id="reply-form-{parent.pk}"' in fragment and "<h1" not in fragment


def test_it_sends_anonymous_readers_to_sign_in_before_replying(client: Client) -> None:
    parent = published(make_article(), make_user("ann"))
    url = reverse("comments:reply", args=[parent.pk])
    response = client.post(url, {"body": "hi"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert "/accounts/login/" in client.post(url, {"body": "hi"}, **HX)["HX-Redirect"]
    assert Comment.objects.count() == 1


def test_it_refuses_a_reply_from_a_banned_reader(client: Client, enqueued: list[int]) -> None:
    parent = published(make_article(), make_user("ann"))
    troll = make_user("troll")
    ban(troll)
    client.force_login(troll)
    response = client.post(reverse("comments:reply", args=[parent.pk]), {"body": "hi"})
    assert response.status_code == 400
    assert "banned from commenting" in response.content.decode()
    assert Comment.objects.count() == 1 and enqueued == []


@pytest.mark.parametrize("status", ["pending", "held", "rejected"])
def test_nobody_replies_to_a_comment_that_is_not_published(client: Client, status: str) -> None:
    parent = make_comment(article=make_article(), author=make_user("ann"), status=status)
    client.force_login(make_user("rita"))
    response = client.post(reverse("comments:reply", args=[parent.pk]), {"body": "hi"})
    assert response.status_code == 404
    assert Comment.objects.count() == 1


def test_it_refuses_an_empty_reply_and_keeps_the_form(client: Client) -> None:
    parent = published(make_article(), make_user("ann"))
    client.force_login(make_user("rita"))
    url = reverse("comments:reply", args=[parent.pk])
    assert client.post(url, {"body": "  "}).status_code == 400
    fragment = client.post(url, {"body": ""}, **HX)
    assert fragment.status_code == 200 and "the comment is empty" in fragment.content.decode()


def test_it_nests_replies_three_deep_and_flattens_deeper_ones_naming_whom_they_answer(
    client: Client,
) -> None:
    article = make_article()
    top = published(article, make_user("ann"), body="level zero")
    one = reply_to(top, make_user("bob"), body="level one")
    two = reply_to(one, make_user("cat"), body="level two")
    three = reply_to(two, make_user("dan"), body="level three")
    four = reply_to(three, make_user("eve"), body="level four")
    assert [c.depth for c in (top, one, two, three, four)] == [0, 1, 2, 3, 3]
    assert (four.parent, four.root) == (three, top)
    html = client.get(article.get_absolute_url()).content.decode()
    assert "in reply to @dan" in html  # four is shown beside three, under two
    assert html.count('class="thread__item"') == 5
    assert "4 replies</summary>" in html  # the thread's collapse control counts them all


def test_readers_see_authors_by_their_display_name_and_otherwise_by_username(
    client: Client,
) -> None:
    # The display name is the user's own name field: set on the profile, or by a newsroom's SSO.
    article = make_article()
    ann = make_user("ann")
    ann.first_name = "Ann Archer"
    ann.save(update_fields=["first_name"])
    top = published(article, ann, body="level zero")
    one = reply_to(top, make_user("bob"), body="level one")
    two = reply_to(one, make_user("cat"), body="level two")
    three = reply_to(two, ann, body="level three")
    reply_to(three, make_user("eve"), body="level four")
    html = client.get(article.get_absolute_url()).content.decode()
    assert '<strong class="comment__author">Ann Archer</strong>' in html
    assert '<strong class="comment__author">bob</strong>' in html  # no name set: the username
    assert "in reply to @Ann Archer" in html
    assert '<strong class="comment__author">ann</strong>' not in html


def test_it_shows_the_first_replies_and_loads_the_rest_on_show_more(
    client: Client, settings: Settings
) -> None:
    settings.COMMENT_REPLIES_SHOWN = 2
    article = make_article()
    top = published(article, make_user("ann"))
    for i in range(5):
        reply_to(top, make_user(f"r{i}"), body=f"reply {i}")
    html = client.get(article.get_absolute_url()).content.decode()
    assert "Show 3 more replies" in html
    assert "reply 1" in html and "reply 2" not in html
    # With htmx: just the rest, in place.
    url = reverse("comments:replies", args=[top.pk])
    rest = client.get(url, **HX).content.decode()
    assert [f"reply {i}" in rest for i in range(5)] == [False, False, True, True, True]
    assert "<h1" not in rest
    # Without: the page again, the thread open (the link's own href).
    assert f'href="?thread={top.pk}#comment-{top.pk}"' in html
    full = client.get(article.get_absolute_url(), {"thread": top.pk}).content.decode()
    assert all(f"reply {i}" in full for i in range(5)) and "more replies" not in full
    assert (
        client.get(url)["Location"]
        == f"{article.get_absolute_url()}?thread={top.pk}#comment-{top.pk}"
    )


def test_it_loads_no_more_replies_of_a_comment_that_is_not_public(client: Client) -> None:
    held = make_comment(article=make_article(), author=make_user("ann"), status="held")
    assert client.get(reverse("comments:replies", args=[held.pk]), **HX).status_code == 404


def test_the_reply_count_follows_publication_and_deletion() -> None:
    from comments.services import approve_comment, delete_own_comment

    article = make_article()
    top = published(article, make_user("ann"))
    bob = make_user("bob")
    reply = submit_comment(article=article, author=bob, body="x", parent=top)
    top.refresh_from_db()
    assert top.reply_count == 0  # pending replies are not counted
    Comment.objects.filter(pk=reply.pk).update(status="held")
    approve_comment(comment=reply, moderator=make_user("mona"))
    top.refresh_from_db()
    assert top.reply_count == 1
    delete_own_comment(comment=reply, author=bob)
    top.refresh_from_db()
    assert top.reply_count == 0


# Reactions -------------------------------------------------------------------------------------


def test_it_toggles_a_readers_reaction_and_its_count(client: Client) -> None:
    comment = published(make_article(), make_user("ann"))
    client.force_login(make_user("rita"))
    url = reverse("comments:react", args=[comment.pk])
    response = client.post(url, **HX)
    html = response.content.decode()
    assert 'aria-pressed="true"' in html and 'class="reaction__count">1<' in html
    comment.refresh_from_db()
    assert comment.reaction_count == 1 and Reaction.objects.count() == 1
    html = client.post(url, **HX).content.decode()
    assert 'aria-pressed="false"' in html and 'class="reaction__count">0<' in html
    comment.refresh_from_db()
    assert comment.reaction_count == 0 and Reaction.objects.count() == 0


def test_it_reacts_without_javascript_and_goes_back_to_the_comment(client: Client) -> None:
    comment = published(make_article(), make_user("ann"))
    client.force_login(make_user("rita"))
    response = client.post(reverse("comments:react", args=[comment.pk]))
    assert response["Location"].endswith(f"#comment-{comment.pk}")
    comment.refresh_from_db()
    assert comment.reaction_count == 1


def test_a_reader_cannot_react_to_their_own_comment(client: Client) -> None:
    ann = make_user("ann")
    comment = published(make_article(), ann)
    client.force_login(ann)
    html = client.post(reverse("comments:react", args=[comment.pk]), **HX).content.decode()
    assert "You cannot react to your own comment." in html
    assert Reaction.objects.count() == 0


def test_anonymous_and_banned_readers_cannot_react(client: Client) -> None:
    comment = published(make_article(), make_user("ann"))
    url = reverse("comments:react", args=[comment.pk])
    assert "/accounts/login/" in client.post(url)["Location"]
    troll = make_user("troll")
    ban(troll)
    client.force_login(troll)
    assert "banned" in client.post(url, **HX).content.decode()
    assert Reaction.objects.count() == 0


def test_it_rate_limits_reactions(client: Client, settings: Settings) -> None:
    settings.REACTION_RATE_LIMIT = 2
    article = make_article()
    comments = [published(article, make_user(f"a{i}")) for i in range(3)]
    client.force_login(make_user("rita"))
    answers = [
        client.post(reverse("comments:react", args=[c.pk]), **HX).content.decode() for c in comments
    ]
    assert "reacting too fast" not in answers[1]
    assert "You are reacting too fast" in answers[2]
    assert Reaction.objects.count() == 2


def test_nobody_reacts_to_a_comment_that_is_not_published(client: Client) -> None:
    comment = make_comment(article=make_article(), author=make_user("ann"), status="held")
    client.force_login(make_user("rita"))
    assert client.post(reverse("comments:react", args=[comment.pk])).status_code == 404


# Sorting ---------------------------------------------------------------------------------------


def test_it_sorts_by_the_order_in_the_url_and_remembers_it(client: Client) -> None:
    article = make_article()
    quiet = published(article, make_user("ann"), body="quiet one")
    busy = published(article, make_user("bob"), body="busy one")
    reply_to(quiet, make_user("cat"), body="only reply")
    Comment.objects.filter(pk=busy.pk).update(reaction_count=5)
    url = article.get_absolute_url()

    def order(html: str) -> list[str]:
        return sorted(["quiet one", "busy one"], key=html.index)

    assert order(client.get(url).content.decode()) == ["quiet one", "busy one"]  # oldest
    response = client.get(url, {"sort": "reactions"})
    assert order(response.content.decode()) == ["busy one", "quiet one"]
    assert response.cookies["comment_order"].value == "reactions"
    # Remembered: the next visit without ?sort= keeps it.
    assert order(client.get(url).content.decode()) == ["busy one", "quiet one"]
    assert order(client.get(url, {"sort": "replies"}).content.decode()) == [
        "quiet one",
        "busy one",
    ]
    assert order(client.get(url, {"sort": "newest"}).content.decode()) == [
        "busy one",
        "quiet one",
    ]
    html = client.get(url, {"sort": "nonsense"}).content.decode()  # ignored: the cookie's
    assert '<a href="?sort=newest#comments" aria-current="true">Newest</a>' in html


# Writing ---------------------------------------------------------------------------------------


def test_it_makes_links_in_published_comments_clickable_for_no_one_to_follow(
    client: Client,
) -> None:
    article = make_article()
    rita = make_user("rita")
    published(article, make_user("ann"), body='See https://example.org/a?b=1 <b>"x"</b>\nok')
    make_comment(article=article, author=rita, body="pending https://spam.example")
    client.force_login(rita)
    html = client.get(article.get_absolute_url()).content.decode()
    assert (
        '<a href="https://example.org/a?b=1" rel="nofollow ugc noopener">'
        "https://example.org/a?b=1</a> &lt;b&gt;&quot;x&quot;&lt;/b&gt;<br>ok"
    ) in html
    assert "pending https://spam.example" in html and 'href="https://spam.example' not in html


def test_the_form_never_cuts_a_long_text_and_refuses_it_with_its_length(
    client: Client, settings: Settings
) -> None:
    article = make_article()
    client.force_login(make_user("rita"))
    html = client.get(article.get_absolute_url()).content.decode()
    assert "maxlength" not in html.split('id="comment-form"')[1].split("</form>")[0]
    assert 'data-limit="5000"' in html and "data-counter" in html
    text = "x" * 5001
    response = client.post(reverse("comments:post", args=[article.slug]), {"body": text})
    body = response.content.decode()
    assert response.status_code == 400
    assert "(this one has 5001)" in body and "Nothing was cut" in body
    assert text in body  # the whole text is back in the form


# Performance -----------------------------------------------------------------------------------


def build_conversation(article: Any, *, shape: str) -> None:
    """200 published comments, 60 of them replies with reactions, in one of two shapes."""
    readers = [make_user(f"{shape}{i}") for i in range(10)]
    tops = [published(article, readers[i % 10], body=f"top {i}") for i in range(140)]
    last = tops[0]
    for i in range(60):
        # "wide": every reply answers a top-level comment; "deep": one long chain.
        parent = tops[i % 20] if shape == "wide" else last
        last = reply_to(parent, readers[(i + 1) % 10], body=f"reply {i}")
        for reader in readers[:3]:
            if reader.pk != last.author_id:
                Reaction.objects.create(comment=last, reader=reader)
        Comment.objects.filter(pk=last.pk).update(reaction_count=3)


@pytest.mark.parametrize("signed_in", [False, True])
def test_the_article_page_runs_the_same_queries_whatever_the_threads_shape(
    client: Client, django_assert_num_queries: DjangoAssertNumQueries, signed_in: bool
) -> None:
    counts = []
    for shape in ("wide", "deep"):
        Comment.objects.all().delete()
        article = make_article(f"story-{shape}")
        build_conversation(article, shape=shape)
        assert Comment.objects.visible().for_article(article).count() == 200
        if signed_in:
            client.force_login(make_user(f"viewer-{shape}"))
        client.get(article.get_absolute_url())  # warm whatever is cached per process
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        cache.clear()  # the section rendered afresh, not the signed-out reader's cached one
        with CaptureQueriesContext(connection) as queries:
            html = client.get(article.get_absolute_url()).content.decode()
        assert "200 comments</h3>" in html and "reply 0" in html
        counts.append(len(queries))
    assert counts[0] == counts[1]
    # And exactly this many for the anonymous page: the article, the page's count and rows, the
    # replies under them, the featured comments, the heading's count.
    if not signed_in:
        cache.clear()
        with django_assert_num_queries(counts[0]):
            client.get(article.get_absolute_url())
        assert counts[0] == 6
        # Then from the cache (comments.reading.cached_comment_section): the article alone.
        with django_assert_num_queries(1):
            assert "200 comments</h3>" in client.get(article.get_absolute_url()).content.decode()


def test_it_renders_threads_flat_with_every_list_closed_in_reading_order(client: Client) -> None:
    article = make_article()
    ann, bob = make_user("ann"), make_user("bob")
    top = published(article, ann, "Top")
    published(article, bob, "Lone")
    parent = top
    for i in range(6):  # one chain past COMMENT_MAX_DEPTH, and more than COMMENT_REPLIES_SHOWN
        parent = reply_to(parent, [bob, ann][i % 2], f"R{i}")
    html = client.get(article.get_absolute_url()).content.decode()
    threads = html.split('id="comment-threads"', 1)[1].split('<nav class="pagination"', 1)[0]
    for tag in ["li", "details", "article"]:
        opened = threads.count(f"<{tag} ") + threads.count(f"<{tag}>")
        assert opened == threads.count(f"</{tag}>"), tag
    # The page's own list opened before the split; every nested one is closed.
    assert threads.count("<ol ") == threads.count("</ol>") - 1
    assert threads.index("Top") < threads.index("R0") < threads.index("R4") < threads.index("Lone")
    # R2 to R5 answer R1 (R3 on, flat at COMMENT_MAX_DEPTH): the first three are shown.
    assert "R5" not in threads and "Show 1 more reply" in threads
    assert "5 replies</summary>" in threads
