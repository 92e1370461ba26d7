"""The moderators' inputs: the queue's filters and decisions, the actions on authors, the rules
and the audit log's filter."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from articles.models import Article, CommentPolicy
from comments import policy
from comments.models import (
    BULK_DECISIONS,
    CommentQuerySet,
    Decision,
    EventAction,
    RejectReason,
    WordRule,
    WordRuleKind,
)
from moderation import queues
from moderation.queues import Queue

SORTS = [
    ("risk", "Riskiest first"),
    ("waiting", "Longest waiting"),
    ("newest", "Newest first"),
]

DATE_INPUT = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})

# How many ids one bulk request may name; beyond a page, "all matching this filter" is the tool.
# Below Django's DATA_UPLOAD_MAX_NUMBER_FIELDS (1000), so the moderator gets this form's message.
MAX_SELECTED_IDS = 500


def label_choices() -> list[tuple[str, str]]:
    names = [
        (label, policy.LABEL_NAMES.get(label, label)) for label in settings.MODERATION_THRESHOLDS
    ]
    return [("", "Highest score"), *names]


def _attributes(attrs: dict[str, Any]) -> str:
    """As django/forms/widgets/attrs.html prints them: False left out, True as a bare name."""
    return "".join(
        format_html(" {}", name) if value is True else format_html(' {}="{}"', name, str(value))
        for name, value in attrs.items()
        if value is not False
    )


class ArticleSelect(forms.Select):
    """Django's select, its options built in Python: the same HTML as its templates.

    Performance: the templates include one template per option, about 50 µs each, and the
    queue lists every article (1,000 more articles cost the queue's page 48 ms; issue 15).
    """

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        options = []
        for group_name, group, _ in widget["optgroups"]:
            if group_name:  # never for a ModelChoiceField; the templates handle optgroups
                return super().render(name, value, attrs, renderer)
            for option in group:
                # As select.html and select_option.html, whose file ends in a newline.
                options.append(
                    format_html(
                        '\n  <option value="{}"{}>{}</option>\n',
                        str(option["value"]),
                        mark_safe(_attributes(option["attrs"])),  # noqa: S308 (escaped above)
                        option["label"],
                    )
                )
        opening = format_html(
            '<select name="{}"{}>',
            widget["name"],
            mark_safe(_attributes(widget["attrs"])),  # noqa: S308 (escaped above)
        )
        return mark_safe(opening + "".join(options) + "\n</select>")  # noqa: S308


class QueueFilterForm(forms.Form):
    """The queue, filters and sort, read from the query string so a view can be shared by URL."""

    queue = forms.ChoiceField(label="Queue", choices=Queue.choices, required=False)
    q = forms.CharField(label="Search", max_length=200, required=False)
    article = forms.ModelChoiceField(
        queryset=Article.objects.order_by("-published_at", "id"),
        to_field_name="slug",
        required=False,
        empty_label="All articles",
        widget=ArticleSelect,
    )
    author = forms.CharField(label="Author", max_length=150, required=False)
    label = forms.ChoiceField(label="Score of", choices=label_choices, required=False)
    min_score = forms.FloatField(label="Score from", min_value=0, max_value=1, required=False)
    max_score = forms.FloatField(label="to", min_value=0, max_value=1, required=False)
    posted_from = forms.DateField(label="Posted from", required=False, widget=DATE_INPUT)
    posted_to = forms.DateField(label="to", required=False, widget=DATE_INPUT)
    sort = forms.ChoiceField(choices=SORTS, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for name in ("min_score", "max_score"):
            self.fields[name].widget.attrs.update(step="0.01", inputmode="decimal")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        low, high = cleaned.get("min_score"), cleaned.get("max_score")
        if low is not None and high is not None and low > high:
            self.add_error("max_score", "The highest score must not be below the lowest.")
        start, end = cleaned.get("posted_from"), cleaned.get("posted_to")
        if start is not None and end is not None and start > end:
            self.add_error("posted_to", "The last day must not be before the first.")
        return cleaned

    @property
    def queue_name(self) -> str:
        return self.cleaned_data.get("queue") or Queue.HELD

    @property
    def sort_name(self) -> str:
        return self.cleaned_data.get("sort") or "risk"

    @property
    def sort_label(self) -> str:
        return dict(SORTS)[self.sort_name]

    @property
    def hidden_fields_with_errors(self) -> list[forms.BoundField]:
        """The queue travels as a hidden input (the tabs choose it), so its errors go on top."""
        return [self["queue"]] if self["queue"].errors else []

    @property
    def is_filtered(self) -> bool:
        """Whether anything beyond the queue and the sort narrows the comments."""
        ignored = {"queue", "sort"}
        return any(v not in (None, "") for k, v in self.cleaned_data.items() if k not in ignored)

    def filter(self, comments: CommentQuerySet) -> CommentQuerySet:
        """Apply every filter but the queue: the queues' counts are of this."""
        data = self.cleaned_data
        if data.get("q"):
            comments = comments.containing(data["q"])
        if data.get("article"):
            comments = comments.for_article(data["article"])
        if data.get("author"):
            comments = comments.filter(author__username__iexact=data["author"])
        if data.get("min_score") is not None or data.get("max_score") is not None:
            comments = comments.scoring_between(
                data.get("min_score"), data.get("max_score"), label=data.get("label") or None
            )
        return comments.posted_between(
            _start_of(data.get("posted_from")), _start_of(data.get("posted_to"), days=1)
        )

    def select(self, comments: CommentQuerySet) -> CommentQuerySet:
        """The comments this view lists: filtered, in its queue, sorted."""
        listed = queues.in_queue(self.filter(comments), self.queue_name)
        if self.sort_name == "waiting":
            return listed.longest_waiting_first()
        if self.sort_name == "newest":
            return listed.newest_first()
        return listed.riskiest_by(self.cleaned_data.get("label") or None)


def _start_of(day: Any, *, days: int = 0) -> datetime | None:
    """The first moment of `day` (plus `days`) in the site's time zone, or None."""
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day + timedelta(days=days), time.min))


REASON_ERRORS = {
    "required": "Choose a reason for rejecting: it teaches the model.",
    "invalid_choice": "“%(value)s” is not a reason for rejecting: choose one from the list.",
}


class DecisionForm(forms.Form):
    """One comment's approve, restore or undo: the status the moderator saw, to catch races."""

    expected_status = forms.CharField(max_length=20, required=False)


class RejectForm(DecisionForm):
    reason = forms.ChoiceField(
        label="Reason",
        choices=[("", "Choose a reason…"), *RejectReason.choices],
        error_messages=REASON_ERRORS,
    )


class BulkUndoForm(forms.Form):
    batch = forms.RegexField(regex=r"^[0-9a-f]{12}$", widget=forms.HiddenInput)


class MultipleIdsField(forms.Field):
    """A list of comment ids from repeated `ids` inputs (checkboxes)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        try:
            ids = sorted({int(v) for v in value})
        except (TypeError, ValueError):
            raise forms.ValidationError("Comment ids must be whole numbers.") from None
        if len(ids) > MAX_SELECTED_IDS:
            raise forms.ValidationError(
                f"Select at most {MAX_SELECTED_IDS} comments, or use “all matching this filter”."
            )
        return ids


class BulkForm(forms.Form):
    """A bulk decision over the checked comments, or over every comment matching the filter."""

    decision = forms.ChoiceField(choices=[(d, Decision(d).label) for d in BULK_DECISIONS])
    reason = forms.ChoiceField(
        label="Reason",
        choices=[("", "Choose a reason…"), *RejectReason.choices],
        required=False,
        error_messages=REASON_ERRORS,
    )
    scope = forms.ChoiceField(
        choices=[("selected", "Selected comments"), ("matching", "All matching this filter")]
    )
    ids = MultipleIdsField(required=False)
    # When the moderator's page was rendered: comments decided after it are someone else's
    # decision, which a bulk action must not overwrite.
    seen_at = forms.DateTimeField(widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("decision") == Decision.REJECT and not cleaned.get("reason"):
            self.add_error("reason", "Choose a reason for rejecting: it teaches the model.")
        if cleaned.get("scope") == "selected" and not cleaned.get("ids"):
            self.add_error("ids", "Select at least one comment, or choose all matching.")
        return cleaned


class AuthorNoteForm(forms.Form):
    body = forms.CharField(
        label="Note for other moderators",
        strip=True,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Write the note first: it is empty.",
            "max_length": "Notes are limited to %(limit_value)d characters.",
        },
    )


class SuspendForm(forms.Form):
    # Whole days: what moderators reason in, and a suspension's end is then easy to state.
    DURATIONS = [(1, "1 day"), (3, "3 days"), (7, "7 days"), (30, "30 days")]

    days = forms.TypedChoiceField(
        label="Suspend for",
        choices=DURATIONS,
        coerce=int,
        error_messages={
            "required": "Choose how long the suspension lasts.",
            "invalid_choice": "Choose one of the listed durations.",
        },
    )
    reason = forms.CharField(
        label="Reason (for the audit log)", required=False, strip=True, max_length=300
    )

    @property
    def until(self) -> datetime:
        return timezone.now() + timedelta(days=self.cleaned_data["days"])


class BanForm(forms.Form):
    reason = forms.CharField(
        label="Reason (shown to the author)",
        strip=True,
        max_length=300,
        error_messages={"required": "Give a reason: the author is told why they cannot post."},
    )
    reject_comments = forms.BooleanField(
        label="Also reject all their comments, published ones included", required=False
    )
    # The confirmation step, with or without JavaScript: a ban is lifted only by hand.
    confirm = forms.BooleanField(
        label="Yes, ban this author: they cannot post again until reinstated",
        error_messages={"required": "Tick the box to confirm the ban."},
    )


class ReasonForm(forms.Form):
    """An optional reason, for actions that need nothing else (pre-moderate, reinstate)."""

    reason = forms.CharField(
        label="Reason (for the audit log)", required=False, strip=True, max_length=300
    )


class WordRuleForm(forms.Form):
    phrase = forms.CharField(
        label="Word or phrase",
        strip=True,
        max_length=100,
        error_messages={
            "required": "Type the word or phrase to add.",
            "max_length": "Keep it under %(limit_value)d characters.",
        },
    )
    kind = forms.ChoiceField(
        label="List",
        choices=WordRuleKind.choices,
        error_messages={"invalid_choice": "Choose the banned or the suspect list."},
    )

    def clean_phrase(self) -> str:
        phrase = " ".join(self.cleaned_data["phrase"].split())
        if not any(ch.isalnum() for ch in phrase) and len(phrase) < 2:
            raise forms.ValidationError("A rule needs at least two characters or one letter.")
        existing = WordRule.objects.annotate(key=Lower("phrase")).filter(key=phrase.lower()).first()
        if existing is not None:
            raise forms.ValidationError(
                "“%(phrase)s” is already on the %(kind)s list.",
                params={
                    "phrase": existing.phrase,
                    "kind": "banned" if existing.kind == WordRuleKind.BANNED else "suspect",
                },
            )
        return phrase


class ArticleSettingsForm(forms.ModelForm):
    comment_policy = forms.ChoiceField(
        label="Comments", choices=CommentPolicy.choices, widget=forms.RadioSelect
    )

    class Meta:
        model = Article
        fields = ["comment_policy", "close_comments_after_days"]
        labels = {"close_comments_after_days": "Close automatically after (days)"}
        error_messages = {
            "close_comments_after_days": {
                "invalid": "Enter a whole number of days, or leave it empty.",
                "min_value": "Enter a number of days from 1, or leave it empty.",
            }
        }

    def clean_close_comments_after_days(self) -> int | None:
        days = self.cleaned_data["close_comments_after_days"]
        if days is not None and not 1 <= days <= 3650:
            raise forms.ValidationError("Enter a number of days from 1 to 3650, or leave it empty.")
        return days


SYSTEM = "system"


class AuditFilterForm(forms.Form):
    moderator = forms.ChoiceField(label="Who", required=False)
    action = forms.ChoiceField(
        label="Action", required=False, choices=[("", "Any action"), *EventAction.choices]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Everyone who may moderate, plus the system (the model): a short list, one query.
        moderators = (
            get_user_model()
            .objects.filter(groups__permissions__codename="moderate_comment")
            .union(get_user_model().objects.filter(is_superuser=True))
            .order_by("username")
        )
        who = self.fields["moderator"]
        assert isinstance(who, forms.ChoiceField)
        who.choices = [
            ("", "Anyone"),
            (SYSTEM, "The system (model and rules)"),
            *((str(u.pk), u.username) for u in moderators),
        ]
