"""The author drawer: an author's record, history and notes, and the moderators' actions on them.

GET renders the panel alone for htmx (the queue loads it into its `<aside id="drawer">`) and a
full page otherwise. Each action answers htmx with the refreshed panel and plain posts with a
redirect to the full page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from comments.models import (
    AuthorStanding,
    Comment,
    ModerationEvent,
    Report,
    report_not_counted_because,
)
from moderation import queues, services
from moderation.decorators import moderator_required
from moderation.forms import AuthorNoteForm, BanForm, QueueFilterForm, ReasonForm, SuspendForm
from newsroom.http import HtmxHttpRequest

RECENT_COMMENTS = 20
RECENT_EVENTS = 20
NOTES_SHOWN = 50


@require_GET
@login_required
@moderator_required
@vary_on_headers("HX-Request")
def author_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    author = _get_author(pk)
    return _render_panel(request, author)


def _get_author(pk: int) -> Any:
    return get_object_or_404(get_user_model(), pk=pk)


def author_context(author: Any) -> dict[str, Any]:
    """Everything the panel shows: seven queries whatever the author's history."""
    standing = AuthorStanding.objects.filter(author=author).first()
    record = Comment.objects.author_records([author.pk])[author.pk]
    return {
        "author": author,
        "standing": standing,
        "record": record,
        # Their record as a reporter: how many reports, and whether they can hide a comment.
        "reports_made": Report.objects.filter(reporter=author).aggregate(
            made=Count("id"), open=Count("id", filter=Q(resolved_at__isnull=True))
        ),
        "reports_not_counted_because": report_not_counted_because(
            joined=author.date_joined, record=record, standing=standing
        ),
        "recent_comments": list(
            Comment.objects.by_author(author)
            .select_related("article")
            .only("id", "body", "status", "created_at", "hidden_at", "article__title")
            .order_by("-created_at", "-id")[:RECENT_COMMENTS]
        ),
        "notes": list(author.moderator_notes.select_related("written_by")[:NOTES_SHOWN]),
        "events": list(
            ModerationEvent.objects.filter(subject=author)
            .select_related("actor")
            .order_by("-created_at", "-id")[:RECENT_EVENTS]
        ),
        "now": timezone.now(),
    }


def _render_panel(
    request: HtmxHttpRequest,
    author: Any,
    *,
    forms: dict[str, Form] | None = None,
    done: str = "",
    queue_changes: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = author_context(author)
    context.update(
        {
            **(queue_changes or {}),
            # Each form its own id prefix: several share field names ("reason") on one page.
            "note_form": AuthorNoteForm(auto_id="id_note_%s"),
            "suspend_form": SuspendForm(auto_id="id_suspend_%s"),
            "ban_form": BanForm(auto_id="id_ban_%s"),
            "premoderate_form": ReasonForm(auto_id="id_premoderate_%s"),
            "reinstate_form": ReasonForm(auto_id="id_reinstate_%s"),
            **(forms or {}),
            "done": done,
            "in_drawer": request.htmx,
        }
    )
    if request.htmx:
        # 200 even for bad input: htmx swaps 2xx only, and the panel carries the errors.
        return render(request, "moderation/author.html#author-panel", context)
    return render(request, "moderation/author.html", context, status=status)


def _author_action(
    form_class: type[Form],
    form_key: str,
    act: Callable[[Any, Any, Form], str],
) -> Callable[..., HttpResponse]:
    """Build a view that validates `form_class`, runs `act` and answers with the panel."""

    @require_POST
    @login_required
    @moderator_required
    @vary_on_headers("HX-Request")
    def view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
        author = _get_author(pk)
        prefix = form_key.removesuffix("_form")
        form = form_class(request.POST, auto_id=f"id_{prefix}_%s")
        if not form.is_valid():
            return _render_panel(request, author, forms={form_key: form}, status=400)
        started = timezone.now()
        done = act(author, request.user, form)
        if request.htmx:
            changes = _queue_changes(request, author, since=started)
            return _render_panel(request, author, done=done, queue_changes=changes)
        messages.success(request, done)
        return redirect("moderation:author", pk=author.pk)

    return view


def _queue_changes(request: HtmxHttpRequest, author: Any, *, since: Any) -> dict[str, Any]:
    """What the queue beside the drawer must change after an action, out of band: its counts,
    under its filters, and the cards of this author the action decided (a ban that rejects
    their comments), as the queue's own decisions change them."""
    filter_form = QueueFilterForm(request.POST)
    # The drawer's forms send the queue's filters and shown cards (hx-include); on the
    # author's own page there is no queue.
    if "queue" not in request.POST or not filter_form.is_valid():
        return {}
    shown = [int(v) for v in request.POST.getlist("shown") if v.isdigit()]
    decided = (
        ModerationEvent.objects.decisions()
        .filter(
            actor_id=request.user.pk,
            created_at__gte=since,
            comment__in=Comment.objects.by_author(author).filter(pk__in=shown),
        )
        .values_list("comment_id", flat=True)
    )
    return {
        "counts": queues.counts(filter_form.filter(Comment.objects.all())),
        "gone": sorted(set(decided)) if shown else [],
    }


def _note(author: Any, moderator: Any, form: Form) -> str:
    services.add_author_note(author=author, moderator=moderator, body=form.cleaned_data["body"])
    return "Note added."


def _suspend(author: Any, moderator: Any, form: Form) -> str:
    assert isinstance(form, SuspendForm)
    until = form.until
    services.suspend_author(
        author=author, moderator=moderator, until=until, reason=form.cleaned_data["reason"]
    )
    when = date_format(timezone.localtime(until), "j F Y, H:i T")
    return f"{author.username} is suspended until {when}."


def _ban(author: Any, moderator: Any, form: Form) -> str:
    rejected = services.ban_author(
        author=author,
        moderator=moderator,
        reason=form.cleaned_data["reason"],
        reject_comments=form.cleaned_data["reject_comments"],
    )
    also = f" {rejected} comment{'s' if rejected != 1 else ''} rejected." if rejected else ""
    return f"{author.username} is banned.{also}"


def _premoderate(author: Any, moderator: Any, form: Form) -> str:
    services.set_always_premoderate(
        author=author, moderator=moderator, reason=form.cleaned_data["reason"]
    )
    return f"Every new comment by {author.username} now waits for a moderator."


def _reinstate(author: Any, moderator: Any, form: Form) -> str:
    services.reinstate_author(
        author=author, moderator=moderator, reason=form.cleaned_data["reason"]
    )
    return f"{author.username} is back in good standing."


add_note = _author_action(AuthorNoteForm, "note_form", _note)
suspend = _author_action(SuspendForm, "suspend_form", _suspend)
ban = _author_action(BanForm, "ban_form", _ban)
premoderate = _author_action(ReasonForm, "premoderate_form", _premoderate)
reinstate = _author_action(ReasonForm, "reinstate_form", _reinstate)
