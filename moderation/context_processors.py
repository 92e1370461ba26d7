"""Template context for moderation pages: the alerts when held comments wait too long, and
when the workers do not score with the active model (or none is alive)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from comments.worker_status import scoring_status
from moderation import oversight


def _on_moderation_page(request: HttpRequest) -> bool:
    return request.path.startswith(reverse("moderation:queue")) and request.user.has_perm(
        "comments.moderate_comment"
    )


def moderation_wait(request: HttpRequest) -> dict[str, Any]:
    """`moderation_wait`: the queue's state when its oldest held comment is overdue, else falsy.

    Lazy, so only pages that render the banner (base.html on /moderation/ pages) pay its one
    query; htmx fragments and public pages never do.
    """
    if not _on_moderation_page(request):
        return {}
    return {"moderation_wait": SimpleLazyObject(oversight.wait_alert)}


def scoring(request: HttpRequest) -> dict[str, Any]:
    """`scoring`: what the workers report they score with (worker_status.ScoringStatus).

    Lazy like `moderation_wait`: a query and a Redis round trip, only where a page shows it.
    """
    if not _on_moderation_page(request):
        return {}
    return {"scoring": SimpleLazyObject(scoring_status)}
