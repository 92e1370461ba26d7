"""Partitioned cookies (CHIPS) for the embed's cross-site iframe.

Browsers that block third-party cookies (Safari, Firefox's and Chrome's private windows, Chrome
with third-party cookies off) still keep a cookie set inside a cross-site frame when it is
`Partitioned`: kept for that top-level site only. So the frame's session (its single sign-on)
works on every host page, each host with its own partition, while our own pages keep theirs.
Django 5.2 on Python 3.11 cannot write the attribute (http.cookies learns it in 3.14), hence
this middleware.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from http.cookies import Morsel

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class PartitionedMorsel(Morsel[str]):
    def OutputString(self, attrs: Container[str] | None = None) -> str:
        return f"{super().OutputString(attrs)}; Partitioned"


class PartitionedCookiesMiddleware:
    """Mark the session and CSRF cookies `Partitioned` when they are cross-site (SameSite=None).

    Above the session and CSRF middleware in MIDDLEWARE, so it sees the cookies they set.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.SESSION_COOKIE_SAMESITE != "None":
            return response
        for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME):
            morsel = response.cookies.get(name)
            if morsel is None or isinstance(morsel, PartitionedMorsel):
                continue
            partitioned = PartitionedMorsel()
            partitioned.set(morsel.key, morsel.value, morsel.coded_value)
            partitioned.update(morsel)
            # A Morsel value is stored as it is (BaseCookie.__setitem__), not re-wrapped.
            response.cookies[name] = partitioned
        return response
