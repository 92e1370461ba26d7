"""Webhooks' wire format: the signature, the events an audit row means, the payload, one POST.

No writes here (those are `integrations.services`): signing and verifying are pure, and `post`
is one HTTP request with short timeouts, made only by a Celery worker, never in a web request.

The signature header, as a receiver checks it:

    Newsroom-Signature: t=<Unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>

Recompute the HMAC over the exact bytes received, compare in constant time, and refuse a `t`
further than the replay window (5 minutes) from your clock: a captured request cannot be
replayed later. Each attempt is signed anew, with its own `t`. Several `v1=` may appear while
a secret is being rolled over; any one matching is enough. `verify` below does all of this.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import secrets
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from comments.models import CommentStatus, EventAction
from integrations.models import WebhookEvent

SIGNATURE_HEADER = "Newsroom-Signature"
REPLAY_WINDOW_SECONDS = 300
# Bytes of the receiver's answer kept for the log: enough for an error message, never a flood.
RESPONSE_PEEK_BYTES = 300
USER_AGENT = "newsroom-webhooks/1"


def new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


def sign(*, secret: str, body: bytes, timestamp: int) -> str:
    """The Newsroom-Signature header's value for `body` sent at `timestamp`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(
    *,
    secret: str,
    body: bytes,
    header: str,
    now: float | None = None,
    tolerance: int = REPLAY_WINDOW_SECONDS,
) -> bool:
    """Whether `header` signs `body` with `secret`, at a time within `tolerance` of `now`."""
    parts = [part.strip().partition("=") for part in header.split(",")]
    stamps = [value for key, _, value in parts if key == "t"]
    macs = [value for key, _, value in parts if key == "v1"]
    if len(stamps) != 1 or not stamps[0].isdigit() or not macs:
        return False
    timestamp = int(stamps[0])
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = sign(secret=secret, body=body, timestamp=timestamp).rpartition("v1=")[2]
    return any(hmac.compare_digest(expected, mac) for mac in macs)


STATUS_EVENTS: dict[str, str] = {
    CommentStatus.PUBLISHED: WebhookEvent.COMMENT_PUBLISHED,
    CommentStatus.HELD: WebhookEvent.COMMENT_HELD,
    CommentStatus.REJECTED: WebhookEvent.COMMENT_REJECTED,
}


def event_for(*, action: str, from_status: str, to_status: str) -> str | None:
    """The webhook event an audit row of a comment means, or None for one that means none."""
    if action == EventAction.HIDDEN:
        return WebhookEvent.COMMENT_REPORTED_THRESHOLD
    if action == EventAction.FEATURED:
        return WebhookEvent.COMMENT_FEATURED
    if from_status == to_status:  # a note, reports dismissed, unfeatured: no change of state
        return None
    return STATUS_EVENTS.get(to_status)


def payload(
    *, event_id: str, event: str, occurred_at: datetime, comment: dict[str, Any], **data: Any
) -> dict[str, Any]:
    """The JSON a delivery sends: its id (the same on every retry: deduplicate on it), type,
    time, the comment, and what the event adds (who acted, why)."""
    return {
        "id": event_id,
        "type": event,
        "created_at": occurred_at.isoformat(),
        "data": {"comment": comment, **data},
    }


def encode(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    status_code: int | None = None
    error: str = ""


def private_address(host: str, port: int) -> str | None:
    """The first address `host` resolves to that is not public (loopback, private, link-local,
    reserved), or None. An unresolvable host is left to the connection to report."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return None
    for *_, address in found:
        ip = ipaddress.ip_address(address[0])
        if not ip.is_global:
            return str(ip)
    return None


def post(
    *,
    url: str,
    body: bytes,
    headers: dict[str, str],
    timeout: float,
    allow_private: bool = False,
) -> Outcome:
    """POST `body` once; a 2xx is delivered, anything else (a redirect too) is not.

    `timeout` bounds the connection and each read; only a few hundred bytes of the answer are
    read, so a receiver that trickles an endless body cannot hold the worker either.
    """
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    # An endpoint is a moderator's choice, but a URL aimed inside our network (the database, Redis,
    # a cloud's metadata service) is refused unless the operator allows it. (The name is resolved
    # again to connect: a host that changes its answer in between is not stopped by this.)
    inside = None if allow_private else private_address(parts.hostname or "", port)
    if inside is not None:
        return Outcome(
            delivered=False,
            error=f"Refused: {parts.hostname} is at {inside}, a private address "
            "(WEBHOOK_ALLOW_PRIVATE_ADDRESSES is off).",
        )
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = connection_class(parts.hostname or "", port, timeout=timeout)
    try:
        connection.request(
            "POST",
            path,
            body=body,
            headers={
                **headers,
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
            },
        )
        response = connection.getresponse()
        peek = response.read(RESPONSE_PEEK_BYTES).decode("utf-8", "replace")
    except (OSError, http.client.HTTPException, ssl.SSLError) as error:
        kind = "timed out" if isinstance(error, socket.timeout | TimeoutError) else "failed"
        return Outcome(delivered=False, error=f"Request {kind}: {error}"[:500])
    finally:
        connection.close()
    if 200 <= response.status < 300:
        return Outcome(delivered=True, status_code=response.status)
    return Outcome(
        delivered=False,
        status_code=response.status,
        error=f"HTTP {response.status} {response.reason}: {peek}".strip()[:500],
    )
