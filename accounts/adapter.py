"""django-allauth, fitted to the site: its emails leave through the outbox, its throttles agree."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site
from django.http import HttpRequest

from accounts.services import queue_email
from newsroom.http import client_ip


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """Render as allauth does, then store and send from a worker, never in the request."""
        request = allauth_context.request
        ctx = {
            "request": request,
            "email": email,
            "current_site": get_current_site(request),
            **context,
        }
        message = self.render_mail(template_prefix, email, ctx)
        queue_email(message=message)

    def get_client_ip(self, request: HttpRequest) -> str:
        # The same address the sign-up throttle and django-axes see (TRUSTED_PROXY_COUNT).
        return client_ip(request)


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The name django-axes counts failures under: what the reader typed to sign in."""
    if credentials:
        name = credentials.get("username") or credentials.get("email")
        if name:
            return str(name)
    data = request.POST
    return data.get("login") or data.get("username")
