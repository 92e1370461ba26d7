"""Live updates for readers: what an open article page polls to learn of new comments.

A view module of its own (not comments/views.py) so that the cheap path stays small enough to
read at a glance. Most polls never reach it: `live.answer_polls_early` (in newsroom.wsgi)
answers a poll whose ETag still matches the article's version with a 304, and a signed-out
reader's poll in full, from the cache alone, before Django's middleware. What comes here (a
signed-in reader's poll with news, a counter lost, bad input) is answered 304 by Django's `etag`
decorator before the view runs when nothing changed; else it costs a count query for a
signed-in reader (and the article's lookup, every few minutes), and a render.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.cache import cache_control
from django.views.decorators.http import etag, require_GET
from django.views.decorators.vary import vary_on_headers

from articles.models import Article
from comments import live
from comments.models import Comment
from newsroom.http import HtmxHttpRequest


def _live_etag(request: HttpRequest, article_id: int) -> str | None:
    return live.etag_for(article_id, request.COOKIES.get(settings.SESSION_COOKIE_NAME, ""))


@require_GET
# The browser keeps the answer and asks again with If-None-Match every time (no-cache); nothing
# shared may keep it (private): it depends on who is asking.
@cache_control(private=True, no_cache=True)
@vary_on_headers("HX-Request", "Cookie")
@etag(_live_etag)
def live_comments(request: HtmxHttpRequest, article_id: int) -> HttpResponse:
    """How many comments were published on the article since the page was shown."""
    # The article is looked up once per live.ARTICLE_PATH_SECONDS, not on every poll: its
    # address is all a poll needs of it.
    article_url = live.article_path(article_id)
    if article_url is None:
        article = get_object_or_404(Article.objects.live(), pk=article_id)
        article_url = article.get_absolute_url()
        # Also for signed-out polls, which the cache alone answers (live.answer_polls_early).
        live.remember_article_path(article_id, article_url)
    since = live.parse_since(request.GET.get("since", ""))
    if since is None:
        return HttpResponseBadRequest("Give `since` as an ISO 8601 time with its UTC offset.")
    if not request.htmx:
        # Without JavaScript nothing polls: someone followed the link, so show them the page.
        return redirect(f"{article_url}#comments")
    new_count = _new_count(request, article_id, since)
    return HttpResponse(live.render_news(new_count, article_url))


def _new_count(request: HtmxHttpRequest, article_id: int, since: datetime) -> int:
    """How many comments came into view since the page was shown.

    From the cache when the page sent the published count it was shown with (`seen`): no query
    for a signed-out reader, the many on a busy article (not even a queryset is built: the
    ORM's filters cost several times the rest of the poll). Otherwise, or if the counter was
    lost since, from the database.
    """
    seen = request.GET.get("seen", "")
    now = live.published_count(article_id) if seen.isdigit() else None
    signed_in = request.user.is_authenticated
    if now is not None and now >= int(seen):
        new = now - int(seen)
        if new and signed_in:
            # Their own comment updates in place on their page (it polls itself): not news.
            new = max(
                0,
                new - _published_since(article_id, since).filter(author_id=request.user.pk).count(),
            )
        return new
    published = _published_since(article_id, since)
    return (published.exclude(author_id=request.user.pk) if signed_in else published).count()


def _published_since(article_id: int, since: datetime) -> QuerySet[Comment]:
    return Comment.objects.visible().filter(article_id=article_id, decided_at__gt=since)
