"""Readers' views: a story with its comment section, posting, a comment's fragment, reporting."""

from __future__ import annotations

import hashlib
import time
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import get_conditional_response, patch_cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_cookie, vary_on_headers
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from articles.models import Article
from comments import page_cache, throttle
from comments.conversation import all_comments, find_node, thread_nodes, thread_steps
from comments.forms import CommentForm, EditForm, NudgeForm, ReportForm
from comments.models import (
    Comment,
    Nudge,
    NudgeOutcome,
    Reaction,
    ReportReason,
)
from comments.reading import (
    CachedSection,
    cached_comment_section,
    comment_order,
    comment_section,
    reader_marks,
)
from comments.services import (
    AlreadyReported,
    CannotAnswer,
    CannotChange,
    CannotReport,
    delete_own_comment,
    edit_comment,
    record_nudge,
    report_comment,
    submit_comment,
    submit_nudged_comment,
    toggle_reaction,
)
from newsroom.http import HtmxHttpRequest

if TYPE_CHECKING:
    from comments.drafts import FlaggedDraft

ORDER_COOKIE_SECONDS = 365 * 24 * 3600
REPORT_THANKS = "Thank you: the moderators will look at this comment."
REPLY_POSTED = "Your reply is posted: it appears once it has been checked."
REACTING_TOO_FAST = "You are reacting too fast. Wait a moment and try again."
EDIT_TOO_LATE = "This comment can no longer be edited."
EDITED = "Your comment is edited: the change is checked again."
DELETED = "Your comment is deleted."
SIGNED_OUT = "You are signed out, so your comment was not posted. Sign in to post it."
SIGNED_OUT_DRAFT_KEPT = (
    "You are signed out, so your comment was not posted yet. Sign in: your text is kept in "
    "this tab and will be back in the form."
)


@require_GET
@vary_on_cookie
def article_detail(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """A story and its comment section: what a reader comes for."""
    article = get_object_or_404(Article.objects.live(), slug=slug)
    cached = cached_comment_section(request, article)
    order, asked = comment_order(request)
    response: HttpResponse
    if cached is None:
        response = render(
            request, "comments/article_detail.html", comment_section(request, article)
        )
    else:
        # A signed-out reader: the section from the cache, and a 304 while it and the story
        # are unchanged.
        tag = _page_etag(request, article, cached.tag)
        if tag is not None and get_conditional_response(request, etag=tag) is not None:
            response = HttpResponseNotModified()
        else:
            context = {"article": article, "cached_section": cached.html}
            response = render(request, "comments/article_detail.html", context)
            if tag is not None and not asked:
                # The same page for every signed-out reader: the next ones get it before
                # Django, from the cache (comments.page_cache), while it stays this valid.
                page_cache.keep_page(request.META, _keep(article, cached, tag))
        if tag is not None:
            response.headers["ETag"] = tag
            # The browser asks again each time (If-None-Match), and no shared cache keeps it.
            patch_cache_control(response, private=True, no_cache=True)
    if asked:
        response.set_cookie(
            settings.COMMENT_ORDER_COOKIE,
            order,
            max_age=ORDER_COOKIE_SECONDS,
            samesite="Lax",
            httponly=True,
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response


def _page_etag(request: HttpRequest, article: Article, section_tag: str) -> str | None:
    """The signed-out page's ETag: its comment section and the story. None when the page may
    show more than those: a session or a messages cookie can bring a flash message.

    No CSRF token: a signed-out page carries none (base.html), so it is one page for all."""
    cookies = request.COOKIES
    if settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies:
        return None
    story = (
        article.pk,
        article.title,
        article.byline,
        article.body,
        article.photo_credit,
        article.published_at.isoformat() if article.published_at else "",
        section_tag,
    )
    digest = hashlib.blake2b(repr(story).encode(), digest_size=10).hexdigest()
    return f'"{digest}"'


def _keep(article: Article, section: CachedSection, tag: str) -> page_cache.Keep:
    """The kept page is valid while its section is, for at most COMMENT_PAGE_RECHECK_SECONDS
    (then Django looks the story up again), and never past the moment comments close."""
    valid_until = time.time() + settings.COMMENT_PAGE_RECHECK_SECONDS
    closes_at = article.comments_close_at
    if article.accepts_comments and closes_at is not None:
        valid_until = min(valid_until, closes_at.timestamp())
    return page_cache.Keep(
        article_id=article.pk,
        version=section.version,
        reactions=section.reactions,
        at=section.at,
        valid_until=valid_until,
        etag=tag,
    )


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
        return render(request, "comments/_comment.html#report-control", context)
    if done == REPORT_THANKS:
        messages.success(request, done)
    elif done:
        messages.warning(request, done)
    else:
        errors = [str(e) for field in form.errors.values() for e in field]
        messages.error(request, "Report not sent: " + " ".join(errors))
    return redirect(back)


def _signed_out(request: HtmxHttpRequest, back: str) -> HttpResponse:
    """Send a signed-out reader to sign in and back; htmx follows with a client redirect."""
    to_login = redirect_to_login(back)
    if request.htmx:
        return HttpResponseClientRedirect(to_login.url)
    return to_login


def _back_to(comment: Comment) -> str:
    return f"{comment.article.get_absolute_url()}#comment-{comment.pk}"


def _answerable(pk: int) -> Comment:
    """A public comment readers may answer, or 404: nobody replies to an unpublished one."""
    comment = get_object_or_404(Comment.objects.select_related("article", "author"), pk=pk)
    if not comment.can_be_answered:
        raise Http404("No such comment.")
    return comment


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def reply(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Reply to a published comment: the form (GET), and posting the reply (POST).

    Without JavaScript the form is shown at the top of the article page, under the comment it
    answers; with htmx it opens in place under the comment.
    """
    parent = _answerable(pk)
    article = parent.article
    if not request.user.is_authenticated:
        return _signed_out(request, _back_to(parent))
    reply_id = f"reply-{parent.pk}-%s"
    if request.method == "GET":
        form = CommentForm(article=article, author=request.user, auto_id=reply_id)
        status = 200
    else:
        form = CommentForm(request.POST, article=article, author=request.user, auto_id=reply_id)
        status = 400
        if form.is_valid():
            try:
                comment = submit_comment(
                    article=article,
                    author=request.user,
                    body=form.cleaned_data["body"],
                    parent=parent,
                )
            except CannotAnswer as exc:
                form.add_error(None, str(exc))
            else:
                if request.htmx:
                    posted = {"comment": comment, "parent": parent, "article": article}
                    return render(request, "comments/article_detail.html#reply-posted", posted)
                messages.success(request, REPLY_POSTED)
                return redirect(_back_to(comment))
        elif form.is_rate_limited:
            status = 429
    if request.htmx:
        # htmx swaps 2xx responses only: the form comes back with its errors in place.
        again: dict[str, Any] = {"reply_form": form, "parent": parent, "article": article}
        return render(request, "comments/article_detail.html#reply-form", again)
    context = comment_section(request, article, replying_to=parent, reply_form=form)
    return render(
        request, "comments/article_detail.html", context, status=status if form.errors else 200
    )


@require_POST
@vary_on_headers("HX-Request")
def react(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Add or take back the reader's reaction to a published comment."""
    comment = _answerable(pk)
    if not request.user.is_authenticated:
        return _signed_out(request, _back_to(comment))
    error = ""
    reacted = Reaction.objects.filter(comment=comment, reader=request.user).exists()
    if not throttle.allows(
        f"reaction:{request.user.pk}",
        limit=settings.REACTION_RATE_LIMIT,
        window_seconds=settings.REACTION_RATE_WINDOW_SECONDS,
    ):
        error = REACTING_TOO_FAST
    else:
        try:
            reacted = toggle_reaction(comment=comment, reader=request.user)
        except CannotAnswer as exc:
            error = str(exc)
    if request.htmx:
        comment.refresh_from_db(fields=["reaction_count"])
        context = {
            "comment": comment,
            "reacted_ids": {comment.pk} if reacted else set(),
            "reaction_label": settings.COMMENT_REACTION_LABEL,
            "reaction_error": error,
        }
        # 200 with the error in place: htmx swaps 2xx responses only.
        return render(request, "comments/_comment.html#reaction-control", context)
    if error:
        messages.warning(request, error)
    return redirect(_back_to(comment))


def _own(request: HtmxHttpRequest, pk: int) -> Comment:
    """The signed-in reader's own comment, or 404 (whoever else's it is)."""
    comment = get_object_or_404(Comment.objects.select_related("article", "author"), pk=pk)
    if comment.author_id != request.user.pk:
        raise Http404("No such comment.")
    return comment


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Edit one's own comment within COMMENT_EDIT_WINDOW_SECONDS; the edit is scored again."""
    if not request.user.is_authenticated:
        comment = get_object_or_404(Comment.objects.select_related("article"), pk=pk)
        return _signed_out(request, _back_to(comment))
    comment = _own(request, pk)
    edit_id = f"edit-{comment.pk}-%s"
    if request.method == "GET":
        form = EditForm(initial={"body": comment.body}, author=request.user, auto_id=edit_id)
        if not comment.can_be_edited():
            form.add_error(None, EDIT_TOO_LATE)
    else:
        form = EditForm(request.POST, author=request.user, auto_id=edit_id)
        if form.is_valid():
            try:
                comment = edit_comment(
                    comment=comment, author=request.user, body=form.cleaned_data["body"]
                )
            except CannotChange as exc:
                form.add_error(None, str(exc))
            else:
                if request.htmx:
                    # The form asked to swap itself; the answer is the whole edited comment.
                    response = _comment_fragment(request, comment)
                    return reswap(retarget(response, f"#comment-{comment.pk}"), "outerHTML")
                messages.success(request, EDITED)
                return redirect(_back_to(comment))
    if request.htmx:
        context = {"comment": comment, "edit_form": form}
        return render(request, "comments/article_detail.html#edit-form", context)
    context = comment_section(request, comment.article, editing=comment, edit_form=form)
    status = 400 if form.errors and request.method == "POST" else 200
    return render(request, "comments/article_detail.html", context, status=status)


@require_POST
@vary_on_headers("HX-Request")
def delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Soft-delete one's own comment: its place in the thread stays."""
    if not request.user.is_authenticated:
        comment = get_object_or_404(Comment.objects.select_related("article"), pk=pk)
        return _signed_out(request, _back_to(comment))
    comment = delete_own_comment(comment=_own(request, pk), author=request.user)
    if request.htmx:
        return _comment_fragment(request, comment)
    messages.success(request, DELETED)
    return redirect(_back_to(comment))


def _comment_fragment(request: HtmxHttpRequest, comment: Comment) -> HttpResponse:
    """One comment as the conversation shows it, for an htmx swap after its author acted."""
    context = {
        "comment": comment,
        "report_reasons": ReportReason.choices,
        "reaction_label": settings.COMMENT_REACTION_LABEL,
    }
    return render(request, "comments/_comment.html", context)


@require_GET
@vary_on_headers("HX-Request")
def replies(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The rest of a comment's replies, after the first COMMENT_REPLIES_SHOWN ("Show N more").

    With htmx, just those threads, in place; without, the article page with the thread open.
    """
    comment = _answerable(pk)
    if not request.htmx:
        return redirect(f"{comment.article.get_absolute_url()}?thread={pk}#comment-{pk}")
    root = comment if comment.root_id is None else _answerable(comment.root_id)
    visible = Comment.objects.visible().select_related("author")
    threads = thread_nodes([root], visible.in_threads([root.pk]))
    node = find_node(threads, pk)
    rest = node.more_children if node is not None else []
    marks = reader_marks(request, [c.pk for c in all_comments(rest)])
    context = {"steps": thread_steps(rest), **marks}
    return render(request, "comments/article_detail.html#more-replies", context)
