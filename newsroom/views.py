"""Site-wide views: sign-up, the icon, and the health and metrics endpoints operators probe."""

from __future__ import annotations

import ipaddress
import logging
import secrets
from typing import Any

import redis
from django.conf import settings
from django.db import connection
from django.db.models import Count, Min, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET

from comments.models import ClassifierModel, Comment, CommentStatus
from comments.worker_status import ScoringStatus, scoring_status, scoring_status_for

logger = logging.getLogger(__name__)


@require_GET
@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> HttpResponse:
    """Send browsers that ask for /favicon.ico, whatever the page links, to the site's icon."""
    return redirect(static("favicon.svg"))


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


def _describe_scoring(scoring: ScoringStatus) -> dict[str, Any]:
    return {
        "status": scoring.status,
        "workers_alive": scoring.alive,
        "model_versions": scoring.versions,
        "problems": scoring.problems,
        "workers": [
            {
                "worker": w.worker,
                "pid": w.pid,
                "model_version": w.model_version,
                "model_error": w.model_error,
                "seen_seconds_ago": round(w.age_seconds, 1),
            }
            for w in scoring.workers
        ],
    }


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Report the database, the broker, the active model and what the workers score with.

    503 when the database or the broker is down or no worker is alive; 200 "degraded" when a
    worker scores with another model than the active one (or with none, for an error it names).
    """
    database = _check_database()
    broker = _check_broker()
    body: dict[str, Any] = {"database": database, "broker": broker, "model": None}
    scoring: ScoringStatus | None = None
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
        if broker == "ok":
            scoring = scoring_status_for(active_version=active["version"] if active else None)
            body["scoring"] = _describe_scoring(scoring)
    if scoring is None or scoring.status == "down":
        body["status"] = "unavailable"
    else:
        body["status"] = scoring.status
    return JsonResponse(body, status=503 if body["status"] == "unavailable" else 200)


def _client_address(request: HttpRequest) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return None
    # gunicorn bound to [::] sees IPv4 clients as ::ffff:a.b.c.d.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _metrics_refusal(request: HttpRequest) -> HttpResponse | None:
    """Return the answer to a request that may not read the metrics, or None if it may."""
    token = settings.METRICS_TOKEN
    if token:
        scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
        # A constant-time comparison: the time taken must not tell how much of a guess was right.
        if scheme.lower() == "bearer" and secrets.compare_digest(
            offered.strip().encode(), token.encode()
        ):
            return None
        refused = HttpResponse("A bearer token is required.", status=401, content_type="text/plain")
        refused["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return refused
    # Through a proxy, REMOTE_ADDR is the proxy's own address (often loopback), whoever asked.
    forwarded = any(
        header in request.headers for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP")
    )
    address = _client_address(request)
    if (
        not forwarded
        and address
        and any(address in net for net in settings.METRICS_ALLOWED_NETWORKS)
    ):
        return None
    return HttpResponse(
        "Metrics are served to the monitoring network only.", status=403, content_type="text/plain"
    )


@require_GET
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Expose comment counts and queue age in the Prometheus text format, to monitoring only."""
    if refusal := _metrics_refusal(request):
        return refusal
    counts = dict(
        Comment.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    oldest = Comment.objects.awaiting_decision().aggregate(
        pending=Min("created_at", filter=Q(status=CommentStatus.PENDING)),
        held=Min("created_at", filter=Q(status=CommentStatus.HELD)),
    )
    scoring = scoring_status()
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
        f"newsroom_active_model_version {scoring.active_version or 0}",
        "# HELP newsroom_workers_alive Scoring workers whose heartbeat is fresh.",
        "# TYPE newsroom_workers_alive gauge",
        f"newsroom_workers_alive {scoring.alive}",
        "# HELP newsroom_scoring_degraded 1 when a live worker does not score with the active"
        " model (or none is alive), else 0.",
        "# TYPE newsroom_scoring_degraded gauge",
        f"newsroom_scoring_degraded {int(bool(scoring.problems))}",
        "# HELP newsroom_worker_model_version The model version each worker scores with (0: none).",
        "# TYPE newsroom_worker_model_version gauge",
    ]
    lines += [
        f'newsroom_worker_model_version{{worker="{_label(w.worker)}"}} {w.model_version or 0}'
        for w in scoring.workers
    ]
    lines += [
        "# HELP newsroom_worker_model_error 1 when a worker could not load the active model.",
        "# TYPE newsroom_worker_model_error gauge",
    ]
    lines += [
        f'newsroom_worker_model_error{{worker="{_label(w.worker)}"}} {int(bool(w.model_error))}'
        for w in scoring.workers
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; version=0.0.4")


def _label(value: str) -> str:
    """Escape a Prometheus label value."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
