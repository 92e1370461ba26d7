"""Forms for readers' reports and the workspace's authors, rules and audit pages."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models.functions import Lower
from django.utils import timezone

from articles.models import Article, CommentPolicy
from comments.models import EventAction, ReportReason, WordRule, WordRuleKind


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        choices=ReportReason.choices,
        error_messages={
            "required": "Choose why you are reporting this comment.",
            "invalid_choice": "Choose one of the listed reasons.",
        },
    )
    note = forms.CharField(
        required=False,
        strip=True,
        max_length=500,
        error_messages={"max_length": "Keep the note under %(limit_value)d characters."},
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("reason") == ReportReason.OTHER and not cleaned.get("note"):
            self.add_error("note", "Say in a few words what is wrong when you choose “Other”.")
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
