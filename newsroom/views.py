"""Site-wide views: sign-up, and the health and metrics endpoints operators probe."""

from __future__ import annotations

import logging
from typing import Any

import redis
from django.conf import settings
from django.contrib.auth import login
from django.db import connection
from django.db.models import Count, Min, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from comments import throttle
from comments.models import ClassifierModel, Comment, CommentStatus
from newsroom.forms import SignupForm
from newsroom.http import client_ip

logger = logging.getLogger(__name__)


def signup(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    if request.user.is_authenticated:
        return redirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))
    form = SignupForm(request.POST or None)
    status = 400 if form.is_bound else 200
    if request.method == "POST" and form.is_valid():
        # Counted only for sign-ups that would succeed, so a reader who mistypes a password
        # is not throttled; atomic in Redis, so a burst from one address cannot slip past.
        if throttle.allows(
            f"signup:{client_ip(request)}",
            limit=settings.SIGNUP_RATE_LIMIT,
            window_seconds=settings.SIGNUP_RATE_WINDOW_SECONDS,
        ):
            user = form.save()
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))
        form.add_error(
            None,
            "Too many accounts have been created from your network recently. "
            "Please try again later.",
        )
        status = 429
    return render(
        request, "registration/signup.html", {"form": form, "next": next_url}, status=status
    )


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        logger.error("health: database unavailable: %s", exc)
        return f"error: {type(exc).__name__}"
    return "ok"


def _check_broker() -> str:
    timeout = settings.BROKER_SOCKET_TIMEOUT
    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_timeout=timeout, socket_connect_timeout=timeout
    )
    try:
        client.ping()
    except Exception as exc:
        logger.error("health: broker unavailable at %s: %s", settings.REDIS_URL, exc)
        return f"error: {type(exc).__name__}"
    finally:
        client.close()
    return "ok"


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Report the database, the broker and the active model; 503 when a dependency is down."""
    database = _check_database()
    broker = _check_broker()
    body: dict[str, Any] = {"database": database, "broker": broker, "model": None}
    if database == "ok":
        active = ClassifierModel.objects.active().values("version", "created_at").first()
        body["model"] = (
            {"version": active["version"], "trained_at": active["created_at"].isoformat()}
            if active
            else "none active: new comments are held unscored"
        )
        pending = Comment.objects.pending().aggregate(n=Count("id"), oldest=Min("created_at"))
        body["pending_comments"] = pending["n"]
        body["oldest_pending_seconds"] = (
            round((timezone.now() - pending["oldest"]).total_seconds(), 1)
            if pending["oldest"]
            else 0
        )
    healthy = database == "ok" and broker == "ok"
    body["status"] = "ok" if healthy else "unavailable"
    return JsonResponse(body, status=200 if healthy else 503)


@require_GET
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Expose comment counts and queue age in the Prometheus text format."""
    counts = dict(
        Comment.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    oldest = Comment.objects.awaiting_decision().aggregate(
        pending=Min("created_at", filter=Q(status=CommentStatus.PENDING)),
        held=Min("created_at", filter=Q(status=CommentStatus.HELD)),
    )
    active = ClassifierModel.objects.active().values_list("version", flat=True).first()
    now = timezone.now()
    lines = [
        "# HELP newsroom_comments Comments by moderation status.",
        "# TYPE newsroom_comments gauge",
    ]
    for status in CommentStatus.values:
        lines.append(f'newsroom_comments{{status="{status}"}} {counts.get(status, 0)}')
    lines += [
        "# HELP newsroom_oldest_waiting_seconds Age of the oldest comment in a waiting state.",
        "# TYPE newsroom_oldest_waiting_seconds gauge",
    ]
    for status, when in oldest.items():
        age = (now - when).total_seconds() if when else 0
        lines.append(f'newsroom_oldest_waiting_seconds{{status="{status}"}} {age:.1f}')
    lines += [
        "# HELP newsroom_active_model_version The active classifier version (0: none).",
        "# TYPE newsroom_active_model_version gauge",
        f"newsroom_active_model_version {active or 0}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; version=0.0.4")
