"""Live updates for readers: what an open article page polls to learn of new comments.

A view module of its own (not comments/views.py) so that the cheap path stays small enough to
read at a glance: a poll whose ETag still matches the article's version (comments.live) is
answered 304 before Django's middleware (`live.answer_unchanged_polls_early`, in newsroom.wsgi)
or, failing that, by Django's `etag` decorator before the view runs: one cache read, no query,
no session, no template. Only a changed version costs a count query and a render.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.dateparse import parse_datetime
from django.utils.timezone import is_aware
from django.views.decorators.cache import cache_control
from django.views.decorators.http import etag, require_GET
from django.views.decorators.vary import vary_on_headers

from articles.models import Article
from comments import live
from comments.models import Comment
from newsroom.http import HtmxHttpRequest


def _live_etag(request: HttpRequest, article_id: int) -> str | None:
    return live.etag_for(article_id, request.COOKIES.get(settings.SESSION_COOKIE_NAME, ""))


def _since(request: HttpRequest) -> datetime | None:
    try:
        since = parse_datetime(request.GET.get("since", ""))
    except ValueError:
        return None
    return since if since is not None and is_aware(since) else None


@require_GET
# The browser keeps the answer and asks again with If-None-Match every time (no-cache); nothing
# shared may keep it (private): it depends on who is asking.
@cache_control(private=True, no_cache=True)
@vary_on_headers("HX-Request", "Cookie")
@etag(_live_etag)
def live_comments(request: HtmxHttpRequest, article_id: int) -> HttpResponse:
    """How many comments were published on the article since the page was shown."""
    article = get_object_or_404(Article.objects.live(), pk=article_id)
    since = _since(request)
    if since is None:
        return HttpResponseBadRequest("Give `since` as an ISO 8601 time with its UTC offset.")
    if not request.htmx:
        # Without JavaScript nothing polls: someone followed the link, so show them the page.
        return redirect(f"{article.get_absolute_url()}#comments")
    context = {"article": article, "new_count": _new_count(request, article, since)}
    return render(request, "comments/_live.html#live-news", context)


def _new_count(request: HtmxHttpRequest, article: Article, since: datetime) -> int:
    """How many comments came into view since the page was shown.

    From the cache when the page sent the published count it was shown with (`seen`): no query
    for a signed-out reader, the many on a busy article (not even a queryset is built: the
    ORM's filters cost several times the rest of the poll). Otherwise, or if the counter was
    lost since, from the database.
    """
    seen = request.GET.get("seen", "")
    now = live.published_count(article.pk) if seen.isdigit() else None
    signed_in = request.user.is_authenticated
    if now is not None and now >= int(seen):
        new = now - int(seen)
        if new and signed_in:
            # Their own comment updates in place on their page (it polls itself): not news.
            new = max(
                0, new - _published_since(article, since).filter(author_id=request.user.pk).count()
            )
        return new
    published = _published_since(article, since)
    return (published.exclude(author_id=request.user.pk) if signed_in else published).count()


def _published_since(article: Article, since: datetime) -> QuerySet[Comment]:
    return Comment.objects.visible().for_article(article).filter(decided_at__gt=since)
