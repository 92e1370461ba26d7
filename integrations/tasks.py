"""The webhooks' Celery tasks: the dispatcher (beat, every WEBHOOK_DISPATCH_SECONDS) and one
delivery attempt each. Nothing here runs in a web request: posting never waits on an endpoint."""

from __future__ import annotations

import logging

from celery import shared_task

from comments.tasks import single_flight
from integrations import services

logger = logging.getLogger(__name__)

DISPATCH_LOCK_KEY = "newsroom:webhooks-dispatch:lock"
DISPATCH_LOCK_SECONDS = 60


@shared_task(ignore_result=True)
def dispatch_webhooks() -> int:
    """Record the outbox's new events as deliveries, then hand the due ones to workers."""
    with single_flight(DISPATCH_LOCK_KEY, seconds=DISPATCH_LOCK_SECONDS) as mine:
        if not mine:
            return 0
        services.record_webhook_deliveries()
        due = services.take_due_deliveries()  # committed: a worker finds every row it is sent
        for delivery_id, attempts in due:
            enqueue_delivery(delivery_id=delivery_id, attempts=attempts)
        return len(due)


@shared_task(ignore_result=True)
def deliver_webhook(delivery_id: int, attempts: int) -> None:
    """One attempt at one delivery; a copy of a task already done changes nothing."""
    services.deliver_webhook(delivery_id=delivery_id, attempts=attempts)


def enqueue_delivery(*, delivery_id: int, attempts: int) -> bool:
    try:
        deliver_webhook.apply_async(args=(delivery_id, attempts), retry=False)
    except Exception as exc:
        # Taken deliveries come due again after WEBHOOK_REQUEUE_SECONDS: nothing is lost.
        logger.warning("could not enqueue webhook delivery %s (%s)", delivery_id, exc)
        return False
    return True
