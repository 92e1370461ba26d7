"""Celery entry points of accounts/: sending the emails its services wrote to the outbox."""

from __future__ import annotations

import json
import logging
import urllib.request
from contextlib import suppress

import redis
from celery import shared_task
from django.conf import settings

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def send_email(email_id: int) -> None:
    """Send one stored email; a redelivered task for a sent one sends nothing."""
    from accounts import delivery

    delivery.deliver(email_id=email_id)


@shared_task(ignore_result=True)
def send_unsent_emails() -> int:
    """Periodic: send what a broker outage or a dead worker left in the outbox."""
    from accounts import delivery

    return delivery.deliver_stragglers()


def enqueue_email(*, email_id: int) -> bool:
    """Publish a sending task; on a broker failure log it and return False, never raise."""
    try:
        send_email.apply_async(args=(email_id,), retry=False)
    except Exception as exc:
        logger.warning(
            "could not enqueue email %s (%s: %s); the periodic sweep will send it",
            email_id,
            type(exc).__name__,
            exc,
        )
        return False
    return True


DISPATCH_LOCK_KEY = "newsroom:accounts:dispatch:lock"
DISPATCH_LOCK_SECONDS = 60


@shared_task(ignore_result=True)
def dispatch_notifications() -> int:
    """Periodic, single-flight: turn new moderation events into readers' notifications."""
    from accounts import services

    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5)
    lock = client.lock(DISPATCH_LOCK_KEY, timeout=DISPATCH_LOCK_SECONDS, blocking=False)
    if not lock.acquire():
        return 0  # another worker is dispatching; the cursor row would serialise us anyway
    try:
        return services.dispatch_notifications()
    finally:
        with suppress(redis.RedisError):
            lock.release()


@shared_task(ignore_result=True)
def send_daily_digests() -> int:
    from accounts import services

    return services.send_daily_digests()


@shared_task(ignore_result=True)
def alert_moderators() -> bool:
    from accounts import services

    return services.alert_moderators_if_waiting()


@shared_task(ignore_result=True, autoretry_for=(OSError,), max_retries=3, retry_backoff=True)
def post_webhook(key: str, text: str) -> None:
    """Post the moderators' alert to MODERATION_ALERT_WEBHOOK_URL, from a worker."""
    url = settings.MODERATION_ALERT_WEBHOOK_URL
    if not url.startswith(("https://", "http://")):
        return
    body = json.dumps({"text": text, "key": key}).encode()
    request = urllib.request.Request(  # noqa: S310 (the operator's own URL, scheme checked above)
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310
        pass


def enqueue_webhook(*, key: str, text: str) -> bool:
    try:
        post_webhook.apply_async(args=(key, text), retry=False)
    except Exception as exc:
        logger.warning("could not enqueue the moderators' webhook (%s)", exc)
        return False
    return True
