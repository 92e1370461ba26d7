"""Readers' account pages: sign-up (allauth's, throttled), profile, notifications, appeals."""

from __future__ import annotations

from typing import Any

from allauth.account.views import SignupView as AllauthSignupView
from django.conf import settings
from django.http import HttpResponse

from comments import throttle
from newsroom.http import client_ip

THROTTLED = (
    "Too many accounts have been created from your network recently. Please try again later."
)


class SignupView(AllauthSignupView):
    """allauth's sign-up with the site's per-address throttle; bad input answers 400."""

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)
        response.status_code = 400
        return response

    def form_valid(self, form: Any) -> HttpResponse:
        # Counted only for sign-ups that would succeed, so a reader who mistypes a password is
        # not throttled; atomic in Redis, so a burst from one address cannot slip past.
        if throttle.allows(
            f"signup:{client_ip(self.request)}",
            limit=settings.SIGNUP_RATE_LIMIT,
            window_seconds=settings.SIGNUP_RATE_WINDOW_SECONDS,
        ):
            return super().form_valid(form)
        form.add_error(None, THROTTLED)
        response = super().form_invalid(form)
        response.status_code = 429
        return response


signup = SignupView.as_view()
