"""What other systems hold of ours (API keys) and what we answered them (Coral's requests)."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from comments.models import ClassifierModel

# A key reads "nk_<prefix>_<secret>": the prefix finds the row, the secret proves the caller.
KEY_PREFIX_LENGTH = 8


def hash_key(raw: str) -> str:
    # A plain digest, not a password hash: the secret is 256 random bits, so there is nothing to
    # guess, and the digest must be cheap because every scoring request checks it.
    return hashlib.sha256(raw.encode()).hexdigest()


def new_raw_key() -> tuple[str, str]:
    """A fresh key and its prefix: `(raw, prefix)`."""
    prefix = secrets.token_hex(KEY_PREFIX_LENGTH // 2)
    return f"nk_{prefix}_{secrets.token_urlsafe(32)}", prefix


class ApiKeyQuerySet(models.QuerySet["ApiKey"]):
    def usable(self) -> ApiKeyQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    """A key for the Perspective-compatible API, stored hashed: its secret is shown once.

    Use is counted in the cache, not here (see `integrations.services`): a scoring request with
    `doNotStore` must not write to the database, and a counter row per request would.
    """

    name = models.CharField(max_length=100, unique=True)
    prefix = models.CharField(max_length=KEY_PREFIX_LENGTH, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    # None: the site's INTEGRATIONS_API_RATE_LIMIT_PER_MINUTE.
    rate_limit_per_minute = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} (nk_{self.prefix}_…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def limit_per_minute(self) -> int:
        if self.rate_limit_per_minute is not None:
            return self.rate_limit_per_minute
        return int(settings.INTEGRATIONS_API_RATE_LIMIT_PER_MINUTE)

    @property
    def source(self) -> str:
        """How the labels it sends are marked (`comments.ExternalLabel.source`)."""
        return f"api-key:{self.prefix}"


class EmbedOrigin(models.Model):
    """A site allowed to embed our comments: `scheme://host[:port]`, as a browser writes an origin.

    The embed route lets exactly these origins frame it (CSP frame-ancestors), and creates a
    story on first view only for a URL on one of them.
    """

    origin = models.CharField(max_length=300, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["origin"]

    def __str__(self) -> str:
        return self.origin


class CoralStatus(models.TextChoices):
    """The statuses Coral's External Moderation Response accepts that our policy gives."""

    NONE = "NONE", "Published"
    SYSTEM_WITHHELD = "SYSTEM_WITHHELD", "Withheld for a moderator"
    REJECTED = "REJECTED", "Rejected"


class CoralModerationRequest(models.Model):
    """One request of Coral's External Moderation Phase and what we answered, with why.

    The comment's text is not kept: Coral holds it, and the scores, reasons and the model version
    explain the answer without a second copy of a reader's words here. `body_sha256` is the
    digest of the signed body, which refuses a replay (Coral's request carries no time).
    """

    body_sha256 = models.CharField(max_length=64, unique=True)
    action = models.CharField(max_length=10)  # Coral's "NEW" or "EDIT"
    tenant_id = models.CharField(max_length=100, blank=True)
    story_id = models.CharField(max_length=100, blank=True)
    story_url = models.URLField(max_length=2000, blank=True)
    author_id = models.CharField(max_length=100, blank=True)
    parent_id = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=20, choices=CoralStatus.choices)
    actions = models.JSONField(default=list)  # the flags answered, as Coral reads them
    reason_codes = models.JSONField(default=list)
    scores = models.JSONField(default=dict)
    model_version = models.ForeignKey(
        ClassifierModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=CoralStatus.values), name="coral_request_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Coral {self.action} on {self.story_id or '?'}: {self.status}"


class SsoIdentity(models.Model):
    """A reader of a host site signed in through the embed's single sign-on: who they are there.

    Keyed by the token's issuer (which shared secret verified it) and subject (the host's user
    id), never by email: a host may let a user change address, and two hosts may share one.
    """

    issuer = models.CharField(max_length=100)
    subject = models.CharField(max_length=255)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_identity"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_signed_in_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="sso_identity_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.issuer}:{self.subject}"
