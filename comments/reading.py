"""What a reader sees of an article's comments: the comment section's context.

Shared by the article page (comments.views) and the embed (integrations.embed), which render the
same partial, so the section reads and behaves the same in both.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from articles.models import Article
from comments import live
from comments.conversation import all_comments, find_node, thread_nodes, thread_steps
from comments.forms import CommentForm, EditForm, unverified_refusal
from comments.models import (
    AuthorStanding,
    Comment,
    CommentOrder,
    CommentStatus,
    Reaction,
    Report,
    ReportReason,
)
from newsroom.http import HtmxHttpRequest

logger = logging.getLogger(__name__)

# How many of a reader's own undecided comments the article page lists above the others.
OWN_COMMENTS_SHOWN = 20
# How many featured comments head the conversation.
FEATURED_SHOWN = 5


def comment_order(request: HttpRequest) -> tuple[str, bool]:
    """The order the reader asked for (in the URL), else the one remembered in their cookie.

    Returns the order and whether the URL asked for it (then the cookie is set to remember it).
    A cookie, not the session: an anonymous reader's choice must not write a session row.
    """
    asked = request.GET.get("sort", "")
    if asked in CommentOrder.values:
        return asked, True
    remembered = request.COOKIES.get(settings.COMMENT_ORDER_COOKIE, "")
    return (remembered if remembered in CommentOrder.values else CommentOrder.OLDEST), False


def comment_section(
    request: HtmxHttpRequest,
    article: Article,
    *,
    form: CommentForm | None = None,
    replying_to: Comment | None = None,
    reply_form: CommentForm | None = None,
    editing: Comment | None = None,
    edit_form: EditForm | None = None,
) -> dict[str, Any]:
    """Build the context of an article's comment section: a constant number of queries,
    whatever the shape of its threads (see comments.conversation)."""
    # Before the reads: a comment published meanwhile is counted as new by the live poll
    # (comments.live_views) rather than missed.
    live_since = timezone.now()
    live_seen = live.published_count(article.pk)
    order, _ = comment_order(request)
    visible = Comment.objects.visible().for_article(article).select_related("author")
    top = visible.top_level().sorted_by(order)
    page = Paginator(top, settings.COMMENTS_PER_PAGE).get_page(request.GET.get("page"))
    roots = list(page)
    threads = thread_nodes(roots, visible.in_threads([c.pk for c in roots]))
    featured = list(visible.featured().filter(deleted_at__isnull=True)[:FEATURED_SHOWN])
    shown_ids = [c.pk for c in all_comments(threads)] + [c.pk for c in featured]
    own: list[Comment] = []
    refusal = None
    expanded = find_node(threads, _int(request.GET.get("thread")))
    if expanded is not None:
        expanded.expanded = True
    if request.user.is_authenticated:
        standing = AuthorStanding.objects.filter(author=request.user).first()
        refusal = standing.posting_refusal() if standing is not None else None
        refusal = refusal or unverified_refusal(request.user)
        if form is None and article.accepts_comments and refusal is None:
            form = CommentForm(article=article, author=request.user)
        own = list(
            Comment.objects.for_article(article)
            .by_author(request.user)
            # Their comments the public does not see: undecided, rejected, or hidden by reports.
            .exclude(status=CommentStatus.PUBLISHED, hidden_at__isnull=True)
            .select_related("author", "appeal")
            .order_by("-created_at", "-id")[:OWN_COMMENTS_SHOWN]
        )
    return {
        "article": article,
        "page": page,
        "threads": threads,
        "thread_steps": thread_steps(threads),
        "featured": featured,
        "comment_count": visible.count(),
        "order": order,
        "orders": CommentOrder.choices,
        "own_comments": own,
        "form": form,
        "posting_refusal": refusal,
        **reader_marks(request, shown_ids),
        "replying_to": replying_to,
        "reply_form": reply_form,
        "editing": editing,
        "edit_form": edit_form,
        "live_since": live_since,
        "live_seen": live_seen,
        "live_poll_seconds": settings.LIVE_POLL_SECONDS,
    }


def _int(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 0


def reader_marks(request: HttpRequest, comment_ids: list[int]) -> dict[str, Any]:
    """What the comment controls need to know about this reader: which of these comments they
    reported and reacted to (one query each, signed in only), whether they moderate."""
    marks: dict[str, Any] = {
        "reported_ids": set(),
        "reacted_ids": set(),
        "is_moderator": False,
        "report_reasons": ReportReason.choices,
        "reaction_label": settings.COMMENT_REACTION_LABEL,
    }
    if request.user.is_authenticated:
        marks["reported_ids"] = set(
            Report.objects.filter(reporter=request.user, comment__in=comment_ids).values_list(
                "comment_id", flat=True
            )
        )
        marks["reacted_ids"] = set(
            Reaction.objects.filter(reader=request.user, comment__in=comment_ids).values_list(
                "comment_id", flat=True
            )
        )
        marks["is_moderator"] = request.user.has_perm("comments.moderate_comment")
    return marks


# The query parameters the comment section reads (besides the order's cookie). A request with
# any other is rendered afresh: the section's links repeat the query string as it came, and a
# cache keyed on arbitrary parameters could be filled at will.
SECTION_PARAMETERS = frozenset({"page", "sort", "thread"})
SECTION_QUERY_MAX_LENGTH = 64
# Longer than a render of the largest section takes; a dead holder's lock expires after it.
SECTION_RENDER_LOCK_SECONDS = 5


@dataclass(frozen=True)
class CachedSection:
    html: SafeString
    # Changes whenever the section's HTML does: what the page's ETag is built from.
    tag: str
    # What it was rendered at: the article's version and reactions' version, and when (the
    # whole page kept by comments.page_cache is valid exactly as long as this copy is).
    version: int
    reactions: int
    at: float

    @classmethod
    def from_entry(cls, entry: dict[str, Any]) -> CachedSection:
        html = mark_safe(entry["html"])  # noqa: S308 (our render)
        return cls(html, entry["tag"], entry["version"], entry["reactions"], entry["at"])


def cached_comment_section(request: HtmxHttpRequest, article: Article) -> CachedSection | None:
    """A signed-out reader's comment section from the cache, rendered and stored on a miss.

    None when the section must be rendered for this request alone: a signed-in reader (their
    page carries their own comments, form, reactions and reports), a query string the cache
    does not key on, or the cache down.

    Kept under the article's live version (comments.live), which every change a reader can see
    bumps after its commit, and the story's state that the section shows (open or closed).
    The version is read before the section's rows, so a change committed meanwhile is at worst
    stored as the old version's, which nobody takes once the bump lands. Reaction counts
    follow their own counter at a coarser grain (COMMENT_SECTION_REACTION_SECONDS).
    """
    if request.user.is_authenticated:
        return None
    query = request.META.get("QUERY_STRING", "")
    if len(query) > SECTION_QUERY_MAX_LENGTH or not set(request.GET) <= SECTION_PARAMETERS:
        return None
    versions = live.section_versions(article.pk)
    if versions is None:
        return None
    version, reactions = versions
    order, _ = comment_order(request)
    # What the section shows of the story itself: its address, and whether (and why) it is
    # closed to comments, which can change with the clock alone (close after N days).
    story = (article.slug, "" if article.accepts_comments else article.closed_message)
    # One key per page of the section, its entry overwritten at each version rather than one
    # key per version: a hot story bumps many times a second, and dead copies of a large
    # section would pile up in the cache until they expired.
    key = f"section:{article.pk}:{order}:{_digest(repr((story, query)))}"
    try:
        entry = cache.get(key)
    except Exception:
        logger.exception("comments: the cache is unavailable; rendering the section afresh")
        return None
    if (
        entry is not None
        and entry["version"] == version
        and (
            entry["reactions"] == reactions
            or time.time() - entry["at"] < settings.COMMENT_SECTION_REACTION_SECONDS
        )
    ):
        return CachedSection.from_entry(entry)
    # One render per copy at a time: on a hot story, the readers arriving while it renders
    # get the copy it replaces (one change behind, for the length of a render) rather than
    # each rendering it too. The lock expires by itself should its holder die.
    lock = f"{key}:rendering"
    try:
        rendering_elsewhere = not cache.add(lock, 1, timeout=SECTION_RENDER_LOCK_SECONDS)
    except Exception:
        logger.exception("comments: the cache is unavailable; rendering the section afresh")
        return None
    if rendering_elsewhere and entry is not None:
        return CachedSection.from_entry(entry)
    try:
        return _render_section(request, article, key, version, reactions)
    finally:
        if not rendering_elsewhere:
            try:
                cache.delete(lock)
            except Exception:
                logger.exception("comments: could not release %s", lock)


def _render_section(
    request: HtmxHttpRequest, article: Article, key: str, version: int, reactions: int
) -> CachedSection:
    rendered_at = time.time()
    html = render_to_string(
        "comments/article_detail.html#comment-section",
        comment_section(request, article),
        request=request,
    )
    entry = {
        "html": str(html),
        "tag": _digest(html),
        "version": version,
        "reactions": reactions,
        "at": rendered_at,
    }
    section = CachedSection.from_entry(entry)
    try:
        cache.set(key, entry, timeout=settings.COMMENT_SECTION_CACHE_SECONDS)
    except Exception:
        logger.exception("comments: could not keep the comment section of %s", article.pk)
    return section


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()
