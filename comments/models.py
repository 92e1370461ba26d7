from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from comments import policy


class CommentStatus(models.TextChoices):
    PENDING = "pending", "Awaiting moderation"
    PUBLISHED = "published", "Published"
    HELD = "held", "Held for review"
    REJECTED = "rejected", "Rejected"


# The state machine of DESIGN.md: which status may follow which.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    CommentStatus.PENDING: frozenset(
        {CommentStatus.PUBLISHED, CommentStatus.HELD, CommentStatus.REJECTED}
    ),
    CommentStatus.HELD: frozenset({CommentStatus.PUBLISHED, CommentStatus.REJECTED}),
    CommentStatus.PUBLISHED: frozenset({CommentStatus.REJECTED}),
    CommentStatus.REJECTED: frozenset({CommentStatus.PUBLISHED}),
}


class CommentQuerySet(models.QuerySet["Comment"]):
    def published(self) -> CommentQuerySet:
        return self.filter(status=CommentStatus.PUBLISHED)

    def held(self) -> CommentQuerySet:
        return self.filter(status=CommentStatus.HELD)

    def pending(self) -> CommentQuerySet:
        return self.filter(status=CommentStatus.PENDING)

    def for_article(self, article: Any) -> CommentQuerySet:
        return self.filter(article=article)

    def by_author(self, user: Any) -> CommentQuerySet:
        return self.filter(author=user)

    def awaiting_decision(self) -> CommentQuerySet:
        """Comments an author still waits on: not yet scored, or held for a moderator."""
        return self.filter(status__in=[CommentStatus.PENDING, CommentStatus.HELD])

    def posted_since(self, when: Any) -> CommentQuerySet:
        return self.filter(created_at__gte=when)

    def for_moderation(self) -> CommentQuerySet:
        """Join what a moderator's card shows, leaving out the model's (megabytes of) bytes."""
        return self.select_related("article", "author", "model_version").defer(
            "model_version__artifact"
        )

    def riskiest_first(self) -> CommentQuerySet:
        # Unscored comments (risk NULL) come after scored ones: their risk is unknown, and the
        # page says plainly when comments are waiting unscored.
        return self.order_by(F("risk").desc(nulls_last=True), "created_at", "id")

    def stale_pending(self, older_than: timedelta) -> CommentQuerySet:
        """Pending comments whose last scoring request is older than `older_than`."""
        return self.pending().filter(scoring_requested_at__lt=timezone.now() - older_than)


class Comment(models.Model):
    article = models.ForeignKey(
        "articles.Article", on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    body = models.TextField()
    status = models.CharField(
        max_length=20, choices=CommentStatus.choices, default=CommentStatus.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    # When scoring was last asked for: set on posting and by every sweep that re-enqueues it.
    scoring_requested_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    # Latest scores, {label: probability}, and the highest of them (the queue's sort key).
    scores = models.JSONField(default=dict, blank=True)
    risk = models.FloatField(null=True, blank=True)
    reason_codes = models.JSONField(default=list, blank=True)
    model_version = models.ForeignKey(
        "comments.ClassifierModel",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="comments",
    )

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        permissions = [("moderate_comment", "Can moderate comments")]
        indexes = [
            models.Index(fields=["article", "status", "created_at"]),
            models.Index(fields=["status", "risk"]),
            models.Index(fields=["author", "created_at"]),
            models.Index(fields=["status", "scoring_requested_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=CommentStatus.values), name="comment_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Comment {self.pk} by {self.author} on {self.article}"

    def get_absolute_url(self) -> str:
        return reverse("comments:detail", kwargs={"pk": self.pk})

    @property
    def is_pending(self) -> bool:
        return self.status == CommentStatus.PENDING

    @property
    def is_published(self) -> bool:
        return self.status == CommentStatus.PUBLISHED

    @property
    def reasons(self) -> list[str]:
        """The reasons for the latest automatic decision, in words for a moderator."""
        thresholds = policy.thresholds_from_settings(settings.MODERATION_THRESHOLDS)
        return [
            policy.describe_reason(code, scores=self.scores, thresholds=thresholds)
            for code in self.reason_codes
        ]

    @property
    def score_rows(self) -> list[policy.ScoreRow]:
        """Each label's score beside its thresholds, for the moderator's card."""
        thresholds = policy.thresholds_from_settings(settings.MODERATION_THRESHOLDS)
        return policy.score_rows(self.scores, thresholds)

    def can_become(self, status: str) -> bool:
        return status in ALLOWED_TRANSITIONS.get(self.status, frozenset())


class EventAction(models.TextChoices):
    SCORED = "scored", "Scored by the model"
    APPROVED = "approved", "Approved by a moderator"
    REJECTED = "rejected", "Rejected by a moderator"


class ModerationEvent(models.Model):
    """One status change of a comment: who, what, when, why, and the scores at that moment.

    `actor` is NULL for the system, whose decisions name `model_version` instead. Moderators'
    approvals and rejections are the training labels for the next model.
    """

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="moderation_events",
    )
    action = models.CharField(max_length=20, choices=EventAction.choices)
    from_status = models.CharField(max_length=20, choices=CommentStatus.choices)
    to_status = models.CharField(max_length=20, choices=CommentStatus.choices)
    reason_codes = models.JSONField(default=list, blank=True)
    scores = models.JSONField(default=dict, blank=True)
    model_version = models.ForeignKey(
        "comments.ClassifierModel",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
    )
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        who = self.actor or "system"
        return f"{who}: {self.from_status} -> {self.to_status} (comment {self.comment_id})"


class ClassifierModelQuerySet(models.QuerySet["ClassifierModel"]):
    def active(self) -> ClassifierModelQuerySet:
        return self.filter(is_active=True)


class ClassifierModel(models.Model):
    """One trained, immutable model version, stored in the database so every worker loads it.

    `artifact` holds skops bytes; see comments/classifier.py for how they are made and loaded.
    """

    version = models.PositiveIntegerField(unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    labels = models.JSONField(default=list)
    artifact = models.BinaryField()
    artifact_sha256 = models.CharField(max_length=64)
    # {label: {"roc_auc": ..., "n_train": ..., "n_validation": ...}}
    metrics = models.JSONField(default=dict)
    library_versions = models.JSONField(default=dict)
    data_reference = models.JSONField(default=dict)
    training_seconds = models.FloatField(default=0.0)
    is_active = models.BooleanField(default=False)

    objects = ClassifierModelQuerySet.as_manager()

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_classifier"
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version}" + (" (active)" if self.is_active else "")
