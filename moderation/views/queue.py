"""The moderation queue: filtered queues, one card per comment, single and bulk decisions, undo.

Every view here is for moderators only (403 for readers, sign-in for visitors). Each decision
works as a plain form post (post, redirect, get) and, with htmx, swaps just what changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import push_url

from comments.models import (
    AuthorRecord,
    ClassifierModel,
    Comment,
    CommentRevision,
    Decision,
    ModerationEvent,
    RejectReason,
    report_not_counted_because,
)
from comments.services import (
    InvalidTransition,
    approve_comment,
    reject_comment,
    restore_comment,
)
from moderation import queues
from moderation.decorators import moderator_required
from moderation.forms import (
    BulkForm,
    BulkUndoForm,
    DecisionForm,
    QueueFilterForm,
    RejectForm,
)
from moderation.queues import Queue
from moderation.services import (
    CannotUndo,
    dismiss_reports,
    moderate_in_bulk,
    new_batch,
    undo_bulk,
    undo_decision,
)
from newsroom.http import HtmxHttpRequest

QUEUE_TEMPLATE = "moderation/queue.html"


def card_comments() -> Any:
    """Comments with everything a card shows but the authors' records (see with_records)."""
    return (
        Comment.objects.for_moderation()
        .select_related("parent__author")
        .with_report_counts()
        .with_open_reports()
        # The edit history (Comment.edit_history): one query for the page, model bytes left out.
        .prefetch_related(
            Prefetch("revisions", queryset=CommentRevision.objects.order_by("number"))
        )
    )


@dataclass(frozen=True)
class Card:
    """What a queue card shows besides its comment and its author's record, worked out in one
    pass in Python. Performance: a page of 50 cards used to reverse about 250 URLs and loop over
    the reject reasons 50 times in the template, about a fifth of its rendering (issue 15)."""

    # The pk as text: the card prints it a dozen times, and each int goes through localize().
    pk: str
    author_url: str
    article_url: str
    undo_url: str
    # The decisions its status allows (Comment.decisions_available), each with its form's URL.
    decisions: list[tuple[Decision, str]]
    # Each label's score beside its thresholds (Comment.score_rows), as the table's rows.
    score_rows: SafeString
    # The reject reasons as <option>s, the one its scores point to selected.
    reject_options: SafeString


class _PkUrl:
    """One URL pattern reversed once, then filled with each row's pk (an int converter's
    to_url is str(), so the result is exactly what reverse() would return)."""

    PLACEHOLDER = 2_147_483_647

    def __init__(self, name: str, *args: str) -> None:
        self.prefix, self.suffix = reverse(name, args=[self.PLACEHOLDER, *args]).split(
            str(self.PLACEHOLDER)
        )

    def __call__(self, pk: int) -> str:
        return f"{self.prefix}{pk}{self.suffix}"


def with_records(comments: Iterable[Comment]) -> list[tuple[Comment, AuthorRecord, Card]]:
    """Pair each card's comment with its author's record and its Card, and give each open
    report its reporter's record, its URL and whether it counts towards hiding: one aggregate
    query for the page."""
    cards = list(comments)
    reports = [report for comment in cards for report in getattr(comment, "open_reports", [])]
    records = Comment.objects.author_records(
        [comment.author_id for comment in cards] + [report.reporter_id for report in reports]
    )
    author_url = _PkUrl("moderation:author")
    for report in reports:
        report.reporter_record = records[report.reporter_id]
        report.reporter_url = author_url(report.reporter_id)
        report.not_counted_because = report_not_counted_because(
            joined=report.reporter.date_joined,
            record=report.reporter_record,
            standing=getattr(report.reporter, "standing", None),
        )
    undo_url = _PkUrl("moderation:undo")
    decide_urls = {decision: _PkUrl("moderation:decide", decision) for decision in Decision}
    article_urls: dict[int, str] = {}
    reject_options: dict[str, SafeString] = {}
    paired = []
    for comment in cards:
        if comment.article_id not in article_urls:
            article_urls[comment.article_id] = comment.article.get_absolute_url()
        suggested = comment.suggested_reject_reason
        if suggested not in reject_options:
            reject_options[suggested] = format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                (
                    (value, " selected" if value == suggested else "", label)
                    for value, label in RejectReason.choices
                ),
            )
        card = Card(
            pk=str(comment.pk),
            author_url=author_url(comment.author_id),
            article_url=article_urls[comment.article_id],
            undo_url=undo_url(comment.pk),
            decisions=[(d, decide_urls[d](comment.pk)) for d in comment.decisions_available],
            score_rows=format_html_join(
                "\n",
                '<tr class="score score--{}"><th scope="row">{}</th>'
                "<td>{}</td><td>{}</td><td>{}</td></tr>",
                ((row.band, row.name, *row.shown) for row in comment.score_rows),
            ),
            reject_options=reject_options[suggested],
        )
        paired.append((comment, records[comment.author_id], card))
    return paired


@require_GET
@login_required
@moderator_required
@vary_on_headers("HX-Request", "HX-Target")
def moderation_queue(request: HtmxHttpRequest) -> HttpResponse:
    form = QueueFilterForm(request.GET)
    # A hand-edited or stale URL: the filters say what is wrong, and nothing is listed.
    status = 200 if form.is_valid() else 400
    context = _page_context(request, form)
    if request.htmx and request.htmx.target == "queue-results":
        # htmx swaps only 2xx responses, so its errors come back as a 200 with the form.
        response = render(request, f"{QUEUE_TEMPLATE}#queue-results", context)
        # The address bar gets the tidy, shareable URL, not every empty field of the form.
        return push_url(response, context["next"])
    return render(request, QUEUE_TEMPLATE, context, status=status)


def _page_context(request: HtmxHttpRequest, form: QueueFilterForm) -> dict[str, Any]:
    query = _filter_query(form)
    context: dict[str, Any] = {
        "filter_form": form,
        "seen_at": timezone.now(),
        "poll_seconds": settings.MODERATION_POLL_SECONDS,
        "undo_seconds": settings.MODERATION_UNDO_SECONDS,
        "reject_reasons": RejectReason.choices,
        "filter_fields": _filter_fields(form),
        # The filters as parameters, for the page links and the poll: a page that answers a
        # bulk POST has none in its own query string.
        "filters": QueryDict(query),
        "next": reverse("moderation:queue") + (f"?{query}" if query else ""),
    }
    if form.is_valid():
        listed = form.select(card_comments())
        page = Paginator(listed, settings.MODERATION_PAGE_SIZE).get_page(request.GET.get("page"))
        counts = queues.counts(form.filter(Comment.objects.all()))
        context.update(
            page=page,
            cards=with_records(page),
            queue=Queue(form.queue_name),
            queue_links=_queue_links(form, counts),
        )
    if not request.htmx:
        context.update(_workspace_status(request))
    return context


def _queue_links(form: QueueFilterForm, counts: dict[str, int | str]) -> list[dict[str, Any]]:
    """One tab per queue, keeping the filters and the sort, with its count."""
    base = reverse("moderation:queue")
    links = []
    for queue in Queue:
        query = QueryDict(_filter_query(form), mutable=True)
        query["queue"] = queue.value
        links.append(
            {
                "queue": queue,
                "url": f"{base}?{query.urlencode()}",
                "count": counts[queue.value],
                "current": queue.value == form.queue_name,
            }
        )
    return links


def _workspace_status(request: HtmxHttpRequest) -> dict[str, Any]:
    """What the full page says above the queue: the model, stuck scoring, a decision to undo."""
    backlog = Comment.objects.scoring_backlog(
        stuck_after=timedelta(seconds=settings.SWEEP_PENDING_AFTER_SECONDS)
    )
    return {
        "active_model": ClassifierModel.objects.active().defer("artifact").first(),
        "pending_count": backlog["pending"],
        "stuck_pending_count": backlog["stuck"],
        # Without JavaScript nothing offers Undo in place, so the page offers the latest.
        "undoable": ModerationEvent.objects.undoable_by(request.user)
        .select_related("comment__author")
        .first(),
    }


# One comment's decisions: the service and the form that carries its input.
DECISIONS: dict[str, tuple[Any, type[DecisionForm]]] = {
    Decision.APPROVE: (approve_comment, DecisionForm),
    Decision.REJECT: (reject_comment, RejectForm),
    Decision.RESTORE: (restore_comment, DecisionForm),
    Decision.DISMISS: (dismiss_reports, DecisionForm),
}
DONE: dict[str, str] = {
    Decision.APPROVE: "approved",
    Decision.REJECT: "rejected",
    Decision.RESTORE: "restored",
    Decision.DISMISS: "kept",
}


@require_POST
@login_required
@moderator_required
@vary_on_headers("HX-Request")
def decide(request: HtmxHttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in DECISIONS:
        raise Http404("Unknown moderation action.")
    service, form_class = DECISIONS[action]
    comment = get_object_or_404(Comment, pk=pk)
    form = form_class(request.POST)
    if not form.is_valid():
        return _card_or_back(request, pk, error=_first_error(form), status=400)
    extra = {"reason": form.cleaned_data["reason"]} if action == Decision.REJECT else {}
    try:
        service(
            comment=comment,
            moderator=request.user,
            expected_status=form.cleaned_data["expected_status"] or None,
            **extra,
        )
    except InvalidTransition as exc:
        return _card_or_back(request, pk, error=_conflict(exc.comment))
    notice = f"You {DONE[action]} the comment by {comment.author}."
    if action == Decision.DISMISS:
        notice = f"You kept the comment by {comment.author} published; its reports are dismissed."
    return _card_or_back(request, pk, notice=notice, decided=True)


@require_POST
@login_required
@moderator_required
@vary_on_headers("HX-Request")
def undo(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    comment = get_object_or_404(Comment, pk=pk)
    try:
        undo_decision(comment=comment, moderator=request.user)
    except CannotUndo as exc:
        return _card_or_back(request, pk, error=str(exc))
    return _card_or_back(request, pk, notice="Undone: the comment is as it was before.")


def _conflict(comment: Comment) -> str:
    return f"Not changed: this comment is already {comment.get_status_display().lower()}."


def _first_error(form: Any) -> str:
    return next(iter(e for errors in form.errors.values() for e in errors), "Invalid input.")


def _card_or_back(
    request: HtmxHttpRequest,
    pk: int,
    *,
    notice: str = "",
    error: str = "",
    decided: bool = False,
    status: int = 200,
) -> HttpResponse:
    """The updated card for htmx; otherwise back to the queue the moderator came from.

    `decided`: the moderator has just decided it, so the card folds to its outcome and an Undo.
    """
    if request.htmx:
        ((comment, record, card),) = with_records([card_comments().get(pk=pk)])
        context = {
            "comment": comment,
            "card": card,
            "error": error,
            "notice": notice,
            "record": record,
            "decided": decided,
            "undo_seconds": settings.MODERATION_UNDO_SECONDS,
            "next": _back_url(request),
        }
        # htmx swaps only 2xx responses: bad input comes back as the card with its error.
        return render(request, f"{QUEUE_TEMPLATE}#queue-card", context)
    if status >= 400:
        return HttpResponse(error, status=status, content_type="text/plain; charset=utf-8")
    if error:
        messages.warning(request, error)
    else:
        messages.success(request, notice)
    return redirect(_back_url(request))


def _back_url(request: HtmxHttpRequest) -> str:
    """The queue view (with its filters) the form was posted from, if it is one of ours."""
    back = request.POST.get("next", "")
    queue_url = reverse("moderation:queue")
    safe = url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()})
    return back if safe and back.startswith(queue_url) else queue_url


@require_POST
@login_required
@moderator_required
@vary_on_headers("HX-Request")
def bulk(request: HtmxHttpRequest) -> HttpResponse:
    """Approve or reject many comments in one request: the checked ones, or all matching."""
    bulk_form, filter_form = BulkForm(request.POST), QueueFilterForm(request.POST)
    if not (bulk_form.is_valid() and filter_form.is_valid()):
        errors = [_first_error(f) for f in (bulk_form, filter_form) if f.errors]
        return _bulk_answer(request, filter_form, error=" ".join(errors), status=400)
    data = bulk_form.cleaned_data
    # The filter applies to checked ids too, so a comment that has left the queue is skipped;
    # so is one that anyone else (a moderator, the model) acted on since the page was rendered.
    chosen = filter_form.select(
        Comment.objects.unchanged_by_others_since(data["seen_at"], moderator=request.user)
    )
    if data["scope"] == "selected":
        chosen = chosen.filter(pk__in=data["ids"])
    batch = new_batch()
    changed = moderate_in_bulk(
        comments=chosen,
        moderator=request.user,
        decision=data["decision"],
        reject_reason=data["reason"] if data["decision"] == Decision.REJECT else "",
        batch=batch,
    )
    verb = DONE[data["decision"]]
    done = f"{verb.capitalize()} {changed:,} comment{'s' if changed != 1 else ''}."
    if data["scope"] == "selected" and changed < len(data["ids"]):
        skipped = len(data["ids"]) - changed
        done += (
            f" {skipped:,} left unchanged: someone else decided "
            f"{'them' if skipped != 1 else 'it'} first."
        )
    return _bulk_answer(request, filter_form, done=done, batch=batch if changed else "")


@require_POST
@login_required
@moderator_required
@vary_on_headers("HX-Request")
def bulk_undo(request: HtmxHttpRequest) -> HttpResponse:
    """Reverse the moderator's last bulk decision, for the few seconds undo is offered."""
    undo_form, filter_form = BulkUndoForm(request.POST), QueueFilterForm(request.POST)
    if not (undo_form.is_valid() and filter_form.is_valid()):
        errors = [_first_error(f) for f in (undo_form, filter_form) if f.errors]
        return _bulk_answer(request, filter_form, error=" ".join(errors), status=400)
    try:
        back = undo_bulk(batch=undo_form.cleaned_data["batch"], moderator=request.user)
    except CannotUndo as exc:
        return _bulk_answer(request, filter_form, error=str(exc), status=409)
    done = f"Undone: {back:,} comment{'s are' if back != 1 else ' is'} back as before."
    return _bulk_answer(request, filter_form, done=done)


def _bulk_answer(
    request: HtmxHttpRequest,
    filter_form: QueueFilterForm,
    *,
    done: str = "",
    error: str = "",
    batch: str = "",
    status: int = 200,
) -> HttpResponse:
    if request.htmx or error:
        context = _page_context(request, filter_form) | {
            "bulk_done": done,
            "bulk_error": error,
            "bulk_batch": batch,
            # A refused batch comes back as it was sent: the same boxes checked, the same scope.
            "checked_ids": _posted_ids(request) if error else set(),
            "bulk_scope": request.POST.get("scope", "") if error else "",
        }
        if request.htmx:
            # As for every htmx form here: errors come back as a 200 that htmx swaps in.
            return render(request, f"{QUEUE_TEMPLATE}#queue-results", context)
        return render(request, QUEUE_TEMPLATE, context, status=status)
    messages.success(request, done)
    return redirect(f"{reverse('moderation:queue')}?{_filter_query(filter_form)}")


def _posted_ids(request: HtmxHttpRequest) -> set[int]:
    return {int(v) for v in request.POST.getlist("ids") if v.isdigit()}


def _filter_fields(form: QueueFilterForm) -> list[tuple[str, str]]:
    """The filter's submitted values (not the page number), to repeat in other forms."""
    return [(name, form.data[name]) for name in form.fields if form.data.get(name)]


def _filter_query(form: QueueFilterForm) -> str:
    query = QueryDict(mutable=True)
    for name, value in _filter_fields(form):
        query[name] = value
    return query.urlencode()


@require_GET
@login_required
@moderator_required
def changes(request: HtmxHttpRequest) -> HttpResponse:
    """What an open queue polls for: fresh counts, which of its cards to take away, and how many
    comments have joined it since the page was shown ("3 new: show").

    The page sends the ids of the cards it still shows undecided; those that no longer match its
    queue and filters (someone else decided them) are removed from the page by htmx, without
    touching the others, so the moderator's focus and checked boxes stay as they were.
    """
    form = QueueFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponse("Invalid filter.", status=400, content_type="text/plain")
    try:
        shown = {int(v) for v in request.GET.getlist("shown")[: settings.MODERATION_PAGE_SIZE]}
    except ValueError:
        return HttpResponse("Invalid comment ids.", status=400, content_type="text/plain")
    try:
        since = _arrivals_since(request)
    except ValueError:
        return HttpResponse("Invalid time.", status=400, content_type="text/plain")
    still = set(
        form.select(Comment.objects.all()).filter(pk__in=shown).values_list("pk", flat=True)
    )
    gone = shown - still
    # What this moderator decided elsewhere (another tab, a ban from the author drawer) leaves
    # the view too, but is not news to them.
    theirs = set(
        ModerationEvent.objects.filter(comment_id__in=gone)
        .last_words()
        .filter(actor_id=request.user.pk)
        .values_list("comment_id", flat=True)
        if gone
        else []
    )
    context = {
        "counts": queues.counts(form.filter(Comment.objects.all())),
        "gone": sorted(gone),
        "gone_by_others": len(gone - theirs),
        # Comments that joined this view since the page was shown: offered, never pushed in,
        # so that the card under the moderator's hand does not move.
        "new_count": (
            form.select(Comment.objects.all())
            .exclude(pk__in=shown)
            .filter(queues.arrived_since(since))
            .count()
            if since
            else 0
        ),
        "queue_url": reverse("moderation:queue")
        + (f"?{query}" if (query := _filter_query(form)) else ""),
    }
    return render(request, f"{QUEUE_TEMPLATE}#queue-changes", context)


def _arrivals_since(request: HtmxHttpRequest) -> datetime | None:
    """When the polling page was shown (None: it did not say, an older page).

    Raises ValueError for a malformed time, or one without its UTC offset.
    """
    raw = request.GET.get("since", "")
    if not raw:
        return None
    since = parse_datetime(raw)  # raises ValueError for an impossible date
    if since is None or not timezone.is_aware(since):
        raise ValueError(f"not an ISO 8601 time with its offset: {raw!r}")
    return since
