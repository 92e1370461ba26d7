from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.models import Notification


def notifications(request: HttpRequest) -> dict[str, Any]:
    """The bell's unread count, for signed-in readers: one indexed count query, run only when a
    template shows it (the header of a full page), never for an htmx fragment."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_notifications": SimpleLazyObject(
            lambda: Notification.objects.for_user(user).unread().count()
        )
    }
