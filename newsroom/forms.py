"""The sign-up form, with the two bot traps that cost a person nothing.

A honeypot field, hidden from sight and from assistive technology, that a person never fills and
a form-filling bot does; and a signed timestamp of when the form was served, so a form sent back
faster than SIGNUP_MIN_FILL_SECONDS (no person types a name and two passwords that fast) or
without one (posted straight at the URL) is refused. Signed, so a bot cannot backdate it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import UserCreationForm
from django.core import signing

SALT = "newsroom.signup.started"
HONEYPOT = "website"


if TYPE_CHECKING:
    _UserCreationForm = UserCreationForm[Any]  # generic for the type checker only
else:
    _UserCreationForm = UserCreationForm


def started_token(at: float | None = None) -> str:
    """When the form was served, signed."""
    return signing.dumps(time.time() if at is None else at, salt=SALT)


class SignupForm(_UserCreationForm):
    started = forms.CharField(widget=forms.HiddenInput, required=False)
    # Named like a field bots like to fill; the template hides it (see signup.html).
    website = forms.CharField(
        label="Leave this empty",
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("started", started_token())

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
            # A fresh timestamp in the form sent back, so the reader can simply send it again.
            self.data = {**self.data, "started": started_token()}
            raise forms.ValidationError(
                "This form has expired. Please check it and send it again.", code="stale_form"
            )
        if age < settings.SIGNUP_MIN_FILL_SECONDS:
            raise forms.ValidationError(
                "That was quicker than a person types. Please check the form and send it again.",
                code="too_fast",
            )
        return cleaned
