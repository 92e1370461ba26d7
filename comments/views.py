"""Readers' views: a story with its comment section, posting, a comment's fragment, reporting."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from articles.models import Article
from comments import live
from comments.forms import CommentForm, NudgeForm, ReportForm
from comments.models import (
    AuthorStanding,
    Comment,
    CommentStatus,
    Nudge,
    NudgeOutcome,
    Report,
    ReportReason,
)
from comments.services import (
    AlreadyReported,
    CannotReport,
    record_nudge,
    report_comment,
    submit_comment,
    submit_nudged_comment,
)
from newsroom.http import HtmxHttpRequest

if TYPE_CHECKING:
    from comments.drafts import FlaggedDraft

# How many of a reader's own undecided comments the article page lists above the others.
OWN_COMMENTS_SHOWN = 20
REPORT_THANKS = "Thank you: the moderators will look at this comment."
SIGNED_OUT = "You are signed out, so your comment was not posted. Sign in to post it."
SIGNED_OUT_DRAFT_KEPT = (
    "You are signed out, so your comment was not posted yet. Sign in: your text is kept in "
    "this tab and will be back in the form."
)


def comment_section(
    request: HtmxHttpRequest, article: Article, *, form: CommentForm | None = None
) -> dict[str, Any]:
    """Build the context of an article's comment section: a constant number of queries."""
    # Before the reads: a comment published meanwhile is counted as new by the live poll
    # (comments.live_views) rather than missed.
    live_since = timezone.now()
    live_seen = live.published_count(article.pk)
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
        "live_since": live_since,
        "live_seen": live_seen,
        "live_poll_seconds": settings.LIVE_POLL_SECONDS,
    }


@require_GET
def article_detail(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """A story and its comment section: what a reader comes for."""
    article = get_object_or_404(Article.objects.live(), slug=slug)
    return render(request, "comments/article_detail.html", comment_section(request, article))


@require_POST
@vary_on_headers("HX-Request")
def post_comment(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    article = get_object_or_404(Article.objects.live(), slug=slug)
    if not request.user.is_authenticated:
        # Signed out since the page was shown (in another tab, or the session expired).
        to_login = redirect_to_login(f"{article.get_absolute_url()}#comment-form")
        if request.htmx:
            # newsroom.js has kept the text in this tab and puts it back once they return.
            messages.warning(request, SIGNED_OUT_DRAFT_KEPT)
            return HttpResponseClientRedirect(to_login.url)
        messages.warning(request, SIGNED_OUT)
        return to_login

    form = CommentForm(request.POST, article=article, author=request.user)
    if not form.is_valid():
        status = 429 if form.is_rate_limited else 400
        if request.htmx:
            # htmx swaps 2xx responses only; the form comes back with its errors in place.
            return render(
                request,
                "comments/article_detail.html#comment-form",
                {"form": form, "article": article},
            )
        context = comment_section(request, article, form=form)
        return render(request, "comments/article_detail.html", context, status=status)

    # The nudge (issue 11, "live"): answer a draft the model would hold, before saving it.
    body = form.cleaned_data["body"]
    nudge_form = NudgeForm(request.POST)
    episode = _open_nudge(nudge_form.nudge_id, author=request.user, article=article)
    if settings.COMMENT_NUDGE_ENABLED and not (episode and nudge_form.posts_anyway):
        # Performance, not a cycle: scikit-learn loads on the first post, never at start-up.
        from comments import drafts

        flagged = drafts.check_draft(body)
        if flagged is not None:
            return _nudge(request, article, form, flagged, episode)
    if episode is None:
        comment = submit_comment(article=article, author=request.user, body=body)
    else:
        outcome = NudgeOutcome.POSTED_ANYWAY if nudge_form.posts_anyway else NudgeOutcome.REVISED
        comment = submit_nudged_comment(
            nudge=episode, article=article, author=request.user, body=body, outcome=outcome
        )
    if request.htmx:
        fresh = CommentForm(article=article, author=request.user)
        return render(
            request,
            "comments/article_detail.html#comment-posted",
            {"form": fresh, "article": article, "comment": comment},
        )
    return redirect(f"{article.get_absolute_url()}#comment-{comment.pk}")


def _open_nudge(pk: int | None, *, author: Any, article: Article) -> Nudge | None:
    """The reader's own open nudge on this article that the form sent back, if any."""
    if pk is None:
        return None
    return Nudge.objects.still_open().filter(pk=pk, author=author, article=article).first()


def _nudge(
    request: HtmxHttpRequest,
    article: Article,
    form: CommentForm,
    flagged: FlaggedDraft,
    episode: Nudge | None,
) -> HttpResponse:
    """The form again, with the draft as it is, its flagged words, "edit" and "post anyway"."""
    nudge = record_nudge(
        article=article,
        author=request.user,
        scores=flagged.scores,
        reason_codes=flagged.reason_codes,
        model_version_id=flagged.model_version_id,
        episode=episode,
    )
    extra = {"nudge": nudge, "nudge_segments": flagged.segments(form.cleaned_data["body"])}
    if request.htmx:
        context = {"form": form, "article": article, **extra}
        return render(request, "comments/article_detail.html#comment-form", context)
    context = comment_section(request, article, form=form) | extra
    return render(request, "comments/article_detail.html", context)


@require_GET
@vary_on_headers("HX-Request")
def comment_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """One comment's fragment: what its pending copy on the author's page polls to update."""
    comment = get_object_or_404(Comment.objects.select_related("author", "article"), pk=pk)
    if not _can_see(request, comment):
        raise Http404("No such comment.")
    if not request.htmx:
        return redirect(f"{comment.article.get_absolute_url()}#comment-{comment.pk}")
    context: dict[str, Any] = {"comment": comment, "comment_count": None}
    if comment.is_visible:
        # Only a pending comment polls, so a visible one has just been published: the heading's
        # count goes up with it, without a reload.
        context["comment_count"] = Comment.objects.visible().for_article(comment.article).count()
    return render(request, "comments/article_detail.html#comment-update", context)


def _can_see(request: HttpRequest, comment: Comment) -> bool:
    if comment.is_visible:
        return True
    user = request.user
    return user.is_authenticated and (
        comment.author_id == user.pk or user.has_perm("comments.moderate_comment")
    )


@require_POST
@vary_on_headers("HX-Request")
def report(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    comment = get_object_or_404(Comment.objects.select_related("article"), pk=pk)
    back = f"{comment.article.get_absolute_url()}#comment-{comment.pk}"
    if not request.user.is_authenticated:
        to_login = redirect_to_login(back)
        if request.htmx:
            return HttpResponseClientRedirect(to_login.url)
        return to_login
    if not comment.is_visible:
        raise Http404("No such comment.")

    form = ReportForm(request.POST)
    done = ""
    if form.is_valid():
        try:
            report_comment(
                comment=comment,
                reporter=request.user,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
            done = REPORT_THANKS
        except (AlreadyReported, CannotReport) as exc:
            done = str(exc)

    if request.htmx:
        # htmx swaps 2xx responses only: the control comes back, with its errors or its thanks.
        context = {
            "comment": comment,
            "report_form": form,
            "report_done": done,
            "report_reasons": ReportReason.choices,
        }
        return render(request, "comments/_report_control.html", context)
    if done == REPORT_THANKS:
        messages.success(request, done)
    elif done:
        messages.warning(request, done)
    else:
        errors = [str(e) for field in form.errors.values() for e in field]
        messages.error(request, "Report not sent: " + " ".join(errors))
    return redirect(back)
