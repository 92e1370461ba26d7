"""Template context for moderation pages: the alert when held comments wait too long."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from moderation import oversight


def moderation_wait(request: HttpRequest) -> dict[str, Any]:
    """`moderation_wait`: the queue's state when its oldest held comment is overdue, else falsy.

    Lazy, so only pages that render the banner (base.html on /moderation/ pages) pay its one
    query; htmx fragments and public pages never do.
    """
    if not request.path.startswith(reverse("moderation:queue")):
        return {}
    if not request.user.has_perm("comments.moderate_comment"):
        return {}
    return {"moderation_wait": SimpleLazyObject(oversight.wait_alert)}
