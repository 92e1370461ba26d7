"""What a reader sees of an article's comments: the comment section's context.

Shared by the article page (comments.views) and the embed (integrations.embed), which render the
same partial, so the section reads and behaves the same in both.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Paginator

from articles.models import Article
from comments.forms import CommentForm
from comments.models import AuthorStanding, Comment, CommentStatus, Report, ReportReason
from newsroom.http import HtmxHttpRequest

# How many of a reader's own undecided comments the article page lists above the others.
OWN_COMMENTS_SHOWN = 20


def comment_section(
    request: HtmxHttpRequest, article: Article, *, form: CommentForm | None = None
) -> dict[str, Any]:
    """Build the context of an article's comment section: a constant number of queries."""
    published = (
        Comment.objects.visible()
        .for_article(article)
        .select_related("author")
        .order_by("created_at", "id")
    )
    page = Paginator(published, settings.COMMENTS_PER_PAGE).get_page(request.GET.get("page"))
    own: list[Comment] = []
    reported_ids: set[int] = set()
    refusal = None
    if request.user.is_authenticated:
        standing = AuthorStanding.objects.filter(author=request.user).first()
        refusal = standing.posting_refusal() if standing is not None else None
        if form is None and article.accepts_comments and refusal is None:
            form = CommentForm(article=article, author=request.user)
        own = list(
            Comment.objects.for_article(article)
            .by_author(request.user)
            # Their comments the public does not see: undecided, rejected, or hidden by reports.
            .exclude(status=CommentStatus.PUBLISHED, hidden_at__isnull=True)
            .select_related("author")
            .order_by("-created_at", "-id")[:OWN_COMMENTS_SHOWN]
        )
        reported_ids = set(
            Report.objects.filter(reporter=request.user, comment__in=list(page)).values_list(
                "comment_id", flat=True
            )
        )
    return {
        "article": article,
        "page": page,
        "own_comments": own,
        "form": form,
        "posting_refusal": refusal,
        "reported_ids": reported_ids,
        "report_reasons": ReportReason.choices,
    }
