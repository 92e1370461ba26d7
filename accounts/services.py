"""Writes of accounts/: every email is stored here, in the caller's transaction, and sent by a
worker after commit (accounts.delivery), so nothing is lost when the broker is down."""

from __future__ import annotations

import uuid

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import IntegrityError, transaction

from accounts import tasks
from accounts.models import OutgoingEmail


def queue_email(*, message: EmailMessage, key: str | None = None) -> OutgoingEmail:
    """Store `message` under `key` (once: a second call with the same key changes nothing) and
    send it from a worker once the surrounding transaction commits."""
    html = ""
    if isinstance(message, EmailMultiAlternatives):
        html = next((str(c) for c, mime in message.alternatives if mime == "text/html"), "")
    body = str(message.body)
    if message.content_subtype == "html":
        body, html = "", body
    with transaction.atomic():
        try:
            with transaction.atomic():  # a savepoint: a duplicate key leaves the outer one usable
                email = OutgoingEmail.objects.create(
                    key=key or f"once:{uuid.uuid4().hex}",
                    to=message.to[0],
                    subject=str(message.subject),
                    body=body,
                    html=html,
                    headers=dict(message.extra_headers),
                )
        except IntegrityError:
            return OutgoingEmail.objects.get(key=key)
        # Not delay_on_commit: a dead broker must not fail the request that wrote the row.
        transaction.on_commit(lambda: tasks.enqueue_email(email_id=email.pk))
    return email
