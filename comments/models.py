from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from comments import policy
from comments.explanations import LabelTerms, Segment, segments, terms_by_label


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
    # {label: [{"start": int, "end": int, "weight": float}, ...]}: the spans of `body` that pushed
    # each label's score up most, strongest first; the queue highlights them.
    explanations = models.JSONField(default=dict, blank=True)
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
    def thresholds(self) -> dict[str, policy.Thresholds]:
        """The thresholds this comment was decided against: its model version's own, if any."""
        version = self.model_version if self.model_version_id else None
        model = version.thresholds if version is not None else None
        return policy.effective_thresholds(model, settings.MODERATION_THRESHOLDS)

    @property
    def reasons(self) -> list[str]:
        """The reasons for the latest automatic decision, in words for a moderator."""
        thresholds = self.thresholds
        return [
            policy.describe_reason(code, scores=self.scores, thresholds=thresholds)
            for code in self.reason_codes
        ]

    @property
    def score_rows(self) -> list[policy.ScoreRow]:
        """Each label's score beside its thresholds, for the moderator's card."""
        return policy.score_rows(self.scores, self.thresholds)

    @property
    def body_segments(self) -> list[Segment]:
        """The body split into plain text and the model's highlighted terms."""
        return segments(self.body, self.explanations)

    @property
    def explained_terms(self) -> list[LabelTerms]:
        return terms_by_label(self.body, self.explanations)

    def can_become(self, status: str) -> bool:
        return status in ALLOWED_TRANSITIONS.get(self.status, frozenset())


class EventAction(models.TextChoices):
    # On a comment.
    SCORED = "scored", "Scored by the model"
    APPROVED = "approved", "Approved by a moderator"
    REJECTED = "rejected", "Rejected by a moderator"
    RESTORED = "restored", "Restored by a moderator"
    UNDONE = "undone", "Undone by a moderator"
    HIDDEN = "hidden", "Hidden by readers' reports"
    # On an author (`subject`).
    AUTHOR_SUSPENDED = "author_suspended", "Author suspended"
    AUTHOR_BANNED = "author_banned", "Author banned"
    AUTHOR_REINSTATED = "author_reinstated", "Author reinstated"
    AUTHOR_PREMODERATED = "author_premoderated", "Author set to always pre-moderate"
    AUTHOR_NOTE = "author_note", "Note on an author"
    # On the workspace's rules and the classifier.
    RULE_CHANGED = "rule_changed", "Moderation rule changed"
    CLASSIFIER_ACTIVATED = "classifier_activated", "Classifier version activated"


class RejectReason(models.TextChoices):
    """Why a moderator rejected a comment; `label_for_training` maps it to a classifier label."""

    ABUSIVE = "abusive", "Abusive or toxic"
    SPAM = "spam", "Spam or advertising"
    OFF_TOPIC = "off_topic", "Off-topic"
    PERSONAL_INFO = "personal_info", "Personal information"
    OTHER = "other", "Other"

    @property
    def label_for_training(self) -> str | None:
        return {"abusive": "toxicity", "spam": "spam"}.get(self.value)


# Moderators' actions that settle (or unsettle) what a comment is: the classifier's labels.
DECISION_ACTIONS = (
    EventAction.APPROVED,
    EventAction.REJECTED,
    EventAction.RESTORED,
    EventAction.UNDONE,
)


class ModerationEventQuerySet(models.QuerySet["ModerationEvent"]):
    def moderator_decisions(self) -> ModerationEventQuerySet:
        """Moderators' (not the system's) decisions on comments, oldest first."""
        return self.filter(
            actor__isnull=False, comment__isnull=False, action__in=DECISION_ACTIONS
        ).order_by("created_at", "id")

    def since(self, when: Any) -> ModerationEventQuerySet:
        return self.filter(created_at__gt=when)


class ModerationEvent(models.Model):
    """One status change of a comment: who, what, when, why, and the scores at that moment.

    `actor` is NULL for the system, whose decisions name `model_version` instead. Moderators'
    approvals and rejections are the training labels for the next model.
    """

    # NULL for events about an author, a rule or the classifier rather than one comment.
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    # The author an action was about (a suspension, a ban, a note).
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="moderation_events_about",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="moderation_events",
    )
    action = models.CharField(max_length=30, choices=EventAction.choices)
    from_status = models.CharField(max_length=20, choices=CommentStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=CommentStatus.choices, blank=True)
    reject_reason = models.CharField(max_length=20, choices=RejectReason.choices, blank=True)
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

    objects = ModerationEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["action", "created_at"])]

    def __str__(self) -> str:
        who = self.actor or "system"
        if self.comment_id is None:
            return f"{who}: {self.get_action_display()}"
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
    # {label: {"publish": p, "reject": r}} derived from the operator's targets at training time.
    thresholds = models.JSONField(default=dict, blank=True)
    # Expected shares auto-published / held / auto-rejected at those thresholds.
    workload = models.JSONField(default=dict, blank=True)
    # Why this version was or was not promoted over the one active when it was trained.
    promotion_note = models.TextField(blank=True)
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
