"""Celery entry points of accounts/: sending the emails its services wrote to the outbox."""

from __future__ import annotations

import logging

from celery import shared_task

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
