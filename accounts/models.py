"""Readers' accounts beyond django-allauth's: a profile, and the outbox every email leaves by."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Profile(models.Model):
    """What a reader says about themselves; created on first use, so every account may lack one."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    display_name = models.CharField(max_length=60, blank=True)

    def __str__(self) -> str:
        return self.display_name or str(self.user)


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
