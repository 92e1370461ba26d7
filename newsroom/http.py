from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """A request as django-htmx's middleware leaves it: with `.htmx` (for type checkers)."""

    htmx: HtmxDetails


def client_ip(request: HttpRequest) -> str:
    """The client's address, for per-address throttles (sign-up, and django-axes' sign-in).

    Behind TRUSTED_PROXY_COUNT proxies it is the address the outermost proxy saw, read from the
    right of X-Forwarded-For: entries further left come from the client and prove nothing.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if len(forwarded) >= proxies and forwarded[-proxies]:
            return forwarded[-proxies]
    return str(request.META.get("REMOTE_ADDR", ""))
