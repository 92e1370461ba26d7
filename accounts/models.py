"""Readers' accounts beyond django-allauth's: notifications, and the outbox every email leaves by.

A reader's display name is `User.first_name`, the field SSO sign-ins fill too.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

# The one account every deleted reader's kept comments move to (accounts.services.delete_account).
DELETED_USERNAME = "deleted-user"


class OutgoingEmailQuerySet(models.QuerySet["OutgoingEmail"]):
    def unsent(self) -> OutgoingEmailQuerySet:
        return self.filter(sent_at__isnull=True)


class OutgoingEmail(models.Model):
    """One email to send, written in the transaction that decided to send it.

    A Celery task sends it after commit and stamps `sent_at`; `key` is unique, so asking twice
    for the same message (a redelivered task, a second dispatch of one event) stores it once and
    sends it once. `claimed_at` keeps two workers from sending one row at the same time.
    """

    key = models.CharField(max_length=200, unique=True)
    to = models.EmailField()
    subject = models.CharField(max_length=300)
    body = models.TextField()
    html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    objects = OutgoingEmailQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["sent_at", "created_at"])]

    def __str__(self) -> str:
        return f"{self.subject} to {self.to}"


class NotificationKind(models.TextChoices):
    REPLY = "reply", "A reply to my comment"
    DECIDED = "decided", "My held comment was published or rejected"
    FEATURED = "featured", "My comment was featured"
    APPEAL = "appeal", "My appeal was decided"


class EmailFrequency(models.TextChoices):
    IMMEDIATELY = "immediately", "Email me at once"
    DAILY = "daily", "In a daily digest"
    NEVER = "never", "Never by email"


class NotificationQuerySet(models.QuerySet["Notification"]):
    def for_user(self, user: object) -> NotificationQuerySet:
        return self.filter(recipient=user)

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One thing a reader is told in the bell (and, by their preference, by email).

    `key` names the event it comes from ("event:<ModerationEvent id>", "appeal:<id>"), unique, so
    dispatching the same event twice tells the reader once.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    comment = models.ForeignKey(
        "comments.Comment",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    text = models.CharField(max_length=300)
    key = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.text


class NotificationPreference(models.Model):
    """How a reader wants one kind of notification by email; none stored means immediately."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    frequency = models.CharField(
        max_length=20, choices=EmailFrequency.choices, default=EmailFrequency.IMMEDIATELY
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} {self.frequency}"


class DispatchCursor(models.Model):
    """How far a consumer of the moderation-event outbox has read (CONTRACTS.md): the last
    ModerationEvent id whose notifications are recorded. It advances in the same transaction
    that records them, so nothing is skipped when a worker dies or the broker is down."""

    name = models.CharField(max_length=50, unique=True)
    last_event_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} at {self.last_event_id}"
