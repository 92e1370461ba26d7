"""What other systems hold of ours (API keys) and what we answered them (Coral's requests)."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

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


class Scope(models.TextChoices):
    """What a key may do with the REST API (`integrations.api`); the Perspective methods need none.

    Every scope but `stories:read` reads or changes moderation data, which only moderators see:
    a key holding one acts as its owner, and only while the owner may moderate.
    """

    STORIES_READ = "stories:read", "Read stories and their comment counts"
    COMMENTS_READ = "comments:read", "Read comments with their states and scores"
    MODERATE = "moderate", "Approve, reject and restore comments"
    DECISIONS_EXPORT = "decisions:export", "Export moderators' decisions"


MODERATOR_SCOPES = frozenset({Scope.COMMENTS_READ, Scope.MODERATE, Scope.DECISIONS_EXPORT})


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
    # The REST API's scopes (Scope values); empty for a key that only calls Perspective's methods.
    scopes = models.JSONField(default=list, blank=True)
    # Whose word the key's moderation actions are (the audit's actor), and whose permission its
    # moderator scopes need at every request. SET_NULL: a Perspective key outlives its creator.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="api_keys",
    )
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

    def grants(self, scope: str) -> bool:
        """Whether the key may use `scope` now: granted, and for moderators' scopes, its owner
        still an active moderator (revoking a moderator's rights disables their keys at once)."""
        if scope not in self.scopes:
            return False
        if scope not in MODERATOR_SCOPES:
            return True
        owner = self.owner
        return owner is not None and owner.is_active and owner.has_perm("comments.moderate_comment")

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


class WebhookEvent(models.TextChoices):
    """What a webhook endpoint can subscribe to; the `type` of each payload."""

    COMMENT_CREATED = "comment.created", "A reader posted a comment"
    COMMENT_PUBLISHED = "comment.published", "A comment was published (by the model or a moderator)"
    COMMENT_HELD = "comment.held", "A comment was held for a moderator"
    COMMENT_REJECTED = "comment.rejected", "A comment was rejected"
    COMMENT_REPORTED_THRESHOLD = (
        "comment.reported_threshold",
        "Enough readers reported a comment to hide it",
    )
    COMMENT_FEATURED = "comment.featured", "A moderator featured a comment"


class WebhookEndpoint(models.Model):
    """A URL that receives the events it subscribes to, each signed with its own secret.

    The secret is kept as it is, not hashed: every delivery is signed with it (HMAC-SHA256).
    """

    url = models.URLField(max_length=2000)
    secret = models.CharField(max_length=100)
    events = models.JSONField(default=list)  # WebhookEvent values
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="webhook_endpoints",
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Disabled endpoints get no new deliveries; their log stays.
    disabled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.url

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDeliveryQuerySet(models.QuerySet["WebhookDelivery"]):
    def due(self, now: Any) -> WebhookDeliveryQuerySet:
        """Pending deliveries whose next attempt is due and that no worker holds now."""
        return self.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now).filter(
            Q(lease_until__isnull=True) | Q(lease_until__lt=now)
        )


class WebhookDelivery(models.Model):
    """One event for one endpoint: its payload, and how the attempts to deliver it went."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=40, choices=WebhookEvent.choices)
    # What the event came from ("event:<ModerationEvent id>", "comment:<Comment id>"): one
    # delivery per endpoint each, however often the outbox is read.
    event_key = models.CharField(max_length=40)
    payload = models.JSONField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    # When the dispatcher should hand it to a worker (again); None once delivered or given up.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # A worker is attempting it until then: no second worker may (see services.claim_delivery).
    lease_until = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = WebhookDeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_key"], name="one_delivery_per_endpoint_event"
            ),
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values), name="webhook_delivery_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.endpoint_id}: {self.status}"


class OutboxCursor(models.Model):
    """How far one consumer of the outbox (CONTRACTS.md) has read a table: the last id handled,
    and the ids below it not yet seen (`gaps`: [[low id, high id, first noticed (Unix time)]]).

    Ids are handed out when a row is inserted but become visible when its transaction commits,
    so a row with a lower id can appear after a higher one was read; the gaps are read again
    until they appear or are old enough to be a rolled-back transaction's.
    """

    name = models.CharField(max_length=50, unique=True)
    last_id = models.BigIntegerField(default=0)
    gaps = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.name} at {self.last_id}"


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
