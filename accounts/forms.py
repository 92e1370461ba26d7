"""Readers' account forms: allauth's sign-up with the site's two bot traps."""

from __future__ import annotations

import time
from typing import Any

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.conf import settings
from django.core import signing

from accounts.models import DELETED_USERNAME, EmailFrequency, NotificationKind

SALT = "newsroom.signup.started"
HONEYPOT = "website"


def started_token(at: float | None = None) -> str:
    """When the form was served, signed (so a bot cannot backdate it)."""
    return signing.dumps(time.time() if at is None else at, salt=SALT)


class SignupForm(AllauthSignupForm):
    """allauth's sign-up (username, email, password twice) plus a honeypot and a fill timer.

    The two bot traps that cost a person nothing: a honeypot field, hidden from sight and from
    assistive technology, that a person never fills and a form-filling bot does; and a signed
    timestamp of when the form was served, so a form sent back faster than
    SIGNUP_MIN_FILL_SECONDS (no person types a name, an address and two passwords that fast) or
    without one (posted straight at the URL) is refused.
    """

    started = forms.CharField(widget=forms.HiddenInput, required=False)
    website = forms.CharField(
        label="Leave this empty",
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("started", started_token())
        # allauth puts placeholders where a label belongs; ours are visible labels.
        for field in self.fields.values():
            field.widget.attrs.pop("placeholder", None)

    @property
    def person_fields(self) -> list[forms.BoundField]:
        """The fields a person fills in, in order: not the traps."""
        return [self[name] for name in self.fields if name not in {"started", HONEYPOT}]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get(HONEYPOT):
            raise forms.ValidationError(
                "Your sign-up could not be accepted. Please try again.", code="honeypot"
            )
        try:
            age = time.time() - float(signing.loads(cleaned.get("started") or "", salt=SALT))
        except (signing.BadSignature, TypeError, ValueError):
            age = None  # missing or tampered with
        if age is None or age > settings.SIGNUP_FORM_MAX_AGE_SECONDS:
            self.data = {**self.data, "started": started_token()}  # type: ignore[has-type]
            raise forms.ValidationError(
                "This form has expired. Please check it and send it again.", code="stale_form"
            )
        if age < settings.SIGNUP_MIN_FILL_SECONDS:
            raise forms.ValidationError(
                "That was quicker than a person types. Please check the form and send it again.",
                code="too_fast",
            )
        return cleaned


class LoginForm(AllauthLoginForm):
    """allauth's sign-in, also accepting the field name Django's own form used ("username"), so
    that scripts and tests written against the old form keep signing in."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        data = kwargs.get("data", args[0] if args else None)
        if data is not None and "login" not in data and "username" in data:
            data = data.copy()
            data["login"] = data["username"]
            if args:
                args = (data, *args[1:])
            else:
                kwargs["data"] = data
        super().__init__(*args, **kwargs)
        self.fields["login"].label = "Username or email"
        self.fields["login"].widget.attrs.pop("placeholder", None)
        self.fields["password"].widget.attrs.pop("placeholder", None)


class AppealForm(forms.Form):
    note = forms.CharField(
        label="Why should a moderator look again? (optional)",
        required=False,
        strip=True,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": "Keep the note to %(limit_value)d characters or fewer."},
    )


class ProfileForm(forms.Form):
    display_name = forms.CharField(
        label="Display name",
        required=False,
        strip=True,
        max_length=60,
        help_text="Shown on your comments. Leave it empty to show your username.",
        error_messages={"max_length": "Keep the name to %(limit_value)d characters or fewer."},
    )

    def clean_display_name(self) -> str:
        name: str = self.cleaned_data["display_name"]
        # Readers must not pass for a deleted account (see accounts.services.delete_account).
        if name.replace(" ", "-").casefold() == DELETED_USERNAME:
            raise forms.ValidationError("Choose another name: this one marks deleted accounts.")
        return name


class NotificationSettingsForm(forms.Form):
    """One choice per kind of notification: at once, in a daily digest, or never by email."""

    def __init__(self, *args: Any, current: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind in NotificationKind:
            self.fields[kind.value] = forms.ChoiceField(
                label=kind.label,
                choices=EmailFrequency.choices,
                initial=current.get(kind.value, EmailFrequency.IMMEDIATELY),
            )


class DeleteAccountForm(forms.Form):
    """Deleting an account asks for its password: a borrowed, signed-in device is not enough."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.", code="wrong_password")
        return password
