from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.models import Notification


def notifications(request: HttpRequest) -> dict[str, Any]:
    """The bell's unread count, for signed-in readers (one indexed count query)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": Notification.objects.for_user(user).unread().count()}
