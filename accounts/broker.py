"""Publishing accounts/' Celery tasks (defined in tasks.py), by name: the services enqueue
through here, after commit, and a broker outage is logged, never raised into a request."""

from __future__ import annotations

import logging

from celery import current_app

logger = logging.getLogger(__name__)

SEND_EMAIL = "accounts.tasks.send_email"
POST_WEBHOOK = "accounts.tasks.post_webhook"


def enqueue_email(*, email_id: int) -> bool:
    """Publish a sending task; on a broker failure log it and return False, never raise."""
    try:
        current_app.send_task(SEND_EMAIL, args=(email_id,), retry=False)
    except Exception as exc:
        logger.warning(
            "could not enqueue email %s (%s: %s); the periodic sweep will send it",
            email_id,
            type(exc).__name__,
            exc,
        )
        return False
    return True


def enqueue_webhook(*, key: str, text: str) -> bool:
    """Publish the moderators' webhook post; on a broker failure log it and return False."""
    try:
        current_app.send_task(POST_WEBHOOK, args=(key, text), retry=False)
    except Exception as exc:
        logger.warning("could not enqueue the moderators' webhook (%s)", exc)
        return False
    return True
