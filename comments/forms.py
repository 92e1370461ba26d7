"""Readers' forms: a new comment, and a report on someone else's."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django import forms
from django.conf import settings

from comments import throttle
from comments.models import AuthorStanding, ReportReason, posting_refusal_of

UNVERIFIED = (
    "Confirm your email address to post: follow the link we sent you, or ask for a new one "
    "on your account's email page."
)


def unverified_refusal(user: Any) -> str | None:
    """Why a reader may not post yet: an address given at sign-up and not yet confirmed.

    Accounts made another way (the demo's, an operator's) have no address to confirm and post
    as before; ACCOUNTS_POST_BEFORE_VERIFIED lets everyone post straight away.
    """
    if settings.ACCOUNTS_POST_BEFORE_VERIFIED:
        return None
    addresses = EmailAddress.objects.filter(user=user).values_list("verified", flat=True)
    if addresses and not any(addresses):
        return UNVERIFIED
    return None


def body_field() -> forms.CharField:
    """A comment's text: line breaks kept, no `maxlength` on the textarea.

    The browser's maxlength silently cuts a long paste; without it the reader sees the whole
    text, the counter (newsroom.js) says how far over the limit it is, and the server refuses
    it with the count rather than losing the end of it.
    """
    field = forms.CharField(
        label="Your comment",
        strip=True,
        max_length=settings.COMMENT_MAX_LENGTH,
        widget=forms.Textarea(
            attrs={
                "rows": 4,
                "placeholder": "Add your comment…",
                "data-limit": settings.COMMENT_MAX_LENGTH,
            }
        ),
        error_messages={
            "required": "Write something before posting: the comment is empty.",
            "max_length": "Comments are limited to %(limit_value)d characters "
            "(this one has %(show_value)d). Nothing was cut: shorten it and post again.",
        },
    )
    field.widget.attrs.pop("maxlength", None)  # CharField adds it from max_length
    return field


class CommentForm(forms.Form):
    """A reader's new comment (or reply), validated against the article and the author's
    recent posts."""

    body = body_field()

    def __init__(self, *args: Any, article: Any, author: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.article = article
        self.author = author

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.article.accepts_comments:
            raise forms.ValidationError(self.article.closed_message, code="closed")
        if not self.author.is_active:
            raise forms.ValidationError("Your account cannot post comments.", code="inactive")
        standing = AuthorStanding.objects.filter(author=self.author).first()
        refusal = standing.posting_refusal() if standing is not None else None
        if refusal:
            raise forms.ValidationError(refusal, code="author_blocked")
        if unverified := unverified_refusal(self.author):
            raise forms.ValidationError(unverified, code="unverified")
        # Last, and only for an otherwise valid comment: an empty or refused post does not spend
        # the reader's allowance. The counter is atomic (see comments.throttle).
        if not self.errors and not throttle.allows(
            f"comment:{self.author.pk}",
            limit=settings.COMMENT_RATE_LIMIT,
            window_seconds=settings.COMMENT_RATE_WINDOW_SECONDS,
        ):
            raise forms.ValidationError(
                "You are posting too fast: at most %(limit)d comments in %(seconds)d seconds. "
                "Please wait a moment and try again.",
                code="rate_limited",
                params={
                    "limit": settings.COMMENT_RATE_LIMIT,
                    "seconds": settings.COMMENT_RATE_WINDOW_SECONDS,
                },
            )
        return cleaned

    @property
    def is_rate_limited(self) -> bool:
        return any(e.code == "rate_limited" for e in self.non_field_errors().as_data())


class EditForm(forms.Form):
    """The new text of a reader's own comment; the service checks the edit window."""

    body = body_field()

    def __init__(self, *args: Any, author: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.author = author

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        refusal = posting_refusal_of(self.author)
        if refusal:
            raise forms.ValidationError(refusal, code="author_blocked")
        return cleaned


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


class NudgeForm(forms.Form):
    """What a nudged comment form sends back: its nudge, and whether the reader posts anyway."""

    POST_ANYWAY = "post-anyway"

    nudge = forms.IntegerField(required=False, min_value=1)
    nudge_action = forms.ChoiceField(
        required=False, choices=[("", "Post"), (POST_ANYWAY, "Post anyway")]
    )

    @property
    def posts_anyway(self) -> bool:
        return self.is_valid() and self.cleaned_data["nudge_action"] == self.POST_ANYWAY

    @property
    def nudge_id(self) -> int | None:
        return self.cleaned_data["nudge"] if self.is_valid() else None
