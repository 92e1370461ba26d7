"""Sending the outbox's emails: what the Celery tasks of accounts/tasks.py run.

A row is claimed with one conditional UPDATE, sent, then stamped `sent_at`, so a redelivered task
finds it sent. The one window left is a worker dying between handing the message to the mail
server and stamping `sent_at`: after EMAIL_CLAIM_SECONDS the sweep sends it again, so delivery is
at least once, never silently lost. Every send of a row carries the same Message-ID, so a copy
sent twice in that window is one message to mail servers and clients that de-duplicate by it.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.utils import timezone

from accounts.models import OutgoingEmail

logger = logging.getLogger(__name__)

# Longer than any send (EMAIL_TIMEOUT, 10 s): a claim older than this belongs to a dead worker.
EMAIL_CLAIM_SECONDS = 120
# Younger unsent emails may still have their task on the way.
STRAGGLER_AGE_SECONDS = 30
MAX_ATTEMPTS = 5


def deliver(*, email_id: int) -> bool:
    """Send one stored email unless it is sent or being sent; True if this call sent it."""
    now = timezone.now()
    # Claim it with one conditional UPDATE (no lock held while talking to the mail server).
    claimed = (
        OutgoingEmail.objects.unsent()
        .filter(pk=email_id)
        .filter(
            Q(claimed_at__isnull=True)
            | Q(claimed_at__lt=now - timedelta(seconds=EMAIL_CLAIM_SECONDS))
        )
        .update(claimed_at=now)
    )
    if not claimed:
        return False
    email = OutgoingEmail.objects.get(pk=email_id)
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body,
        to=[email.to],
        headers={**email.headers, "Message-ID": message_id(email)},
    )
    if email.html:
        message.attach_alternative(email.html, "text/html")
    try:
        message.send()
    except Exception as exc:
        OutgoingEmail.objects.filter(pk=email_id).update(
            claimed_at=None, attempts=email.attempts + 1, last_error=str(exc)[:500]
        )
        logger.warning("email %s to %s not sent: %s", email_id, email.to, exc)
        raise
    OutgoingEmail.objects.filter(pk=email_id).update(
        sent_at=timezone.now(), attempts=email.attempts + 1, last_error=""
    )
    return True


def message_id(email: OutgoingEmail) -> str:
    """The row's own Message-ID (RFC 5322): the same on every attempt to send it."""
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >") or "localhost"
    return f"<newsroom.{email.pk}.{int(email.created_at.timestamp())}@{domain}>"


def deliver_stragglers(limit: int = 200) -> int:
    """Send emails older than a moment that no task sent (broker down, worker died)."""
    cutoff = timezone.now() - timedelta(seconds=STRAGGLER_AGE_SECONDS)
    ids = list(
        OutgoingEmail.objects.unsent()
        .filter(created_at__lt=cutoff, attempts__lt=MAX_ATTEMPTS)
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for pk in ids:
        # deliver() has logged a failure and released the claim: the next sweep tries again.
        with suppress(Exception):
            sent += deliver(email_id=pk)
    return sent
