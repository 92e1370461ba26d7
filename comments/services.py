"""Writes that span rows or have side effects: posting, scoring, moderating, sweeping.

Every function here is keyword-only and atomic; anything that leaves the database (enqueueing a
task) happens after the transaction commits, so a worker never sees a comment that is not there.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from comments import classifier, policy, rules
from comments.classifier import promotion
from comments.classifier.decisions import DecisionRow, decisions_by_label
from comments.classifier.thresholds import Targets
from comments.models import (
    ClassifierModel,
    Comment,
    CommentStatus,
    EventAction,
    ModerationEvent,
    Report,
)

if TYPE_CHECKING:
    from articles.models import Article
    from comments.classifier import TrainedModel
    from comments.classifier.training import Decisions

logger = logging.getLogger(__name__)


class InvalidTransition(Exception):
    """The comment's current status does not allow the requested change."""

    def __init__(self, comment: Comment, to_status: str) -> None:
        self.comment = comment
        self.to_status = to_status
        super().__init__(
            f"comment {comment.pk} is {comment.get_status_display().lower()}; "
            f"it cannot become {CommentStatus(to_status).label.lower()}"
        )


def submit_comment(
    *, article: Article, author: Any, body: str, parent: Comment | None = None
) -> Comment:
    """Save a reader's comment as pending and ask a worker to score it once it is committed."""
    with transaction.atomic():
        comment = Comment.objects.create(article=article, author=author, parent=parent, body=body)
        # Not delay_on_commit: that would raise into the reader's request if the broker is down.
        # The comment is already saved; a failed enqueue is logged and the sweeper retries it.
        transaction.on_commit(lambda: enqueue_scoring(comment_id=comment.pk))
    return comment


def enqueue_scoring(*, comment_id: int) -> bool:
    """Publish a scoring task; on a broker failure log it and return False, never raise."""
    from comments.tasks import score_comment

    try:
        # One short try (socket timeouts in settings): a reader must not wait on a dead broker.
        score_comment.apply_async(args=(comment_id,), retry=False)
    except Exception as exc:
        # One line, not a traceback: during an outage this repeats for every comment posted.
        logger.warning(
            "could not enqueue scoring for comment %s (%s: %s); the sweeper will retry it",
            comment_id,
            type(exc).__name__,
            exc,
        )
        return False
    return True


def record_comment_event(
    *,
    comment: Comment,
    actor: Any,
    action: str,
    from_status: str,
    to_status: str,
    note: str = "",
    reject_reason: str = "",
) -> ModerationEvent:
    """Audit one change to a comment, with the scores, reasons and model version at that moment."""
    return ModerationEvent.objects.create(
        comment=comment,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=to_status,
        reason_codes=comment.reason_codes,
        scores=comment.scores,
        model_version_id=comment.model_version_id,
        reject_reason=reject_reason,
        note=note,
    )


def score_comment(*, comment_id: int) -> Comment | None:
    """Score a pending comment and apply the policy's decision. Idempotent.

    Returns the decided comment, or None when there was nothing to do (gone, or already decided:
    a re-delivered task, or a moderator got there first).
    """
    comment = Comment.objects.select_related("article").filter(pk=comment_id).first()
    if comment is None or not comment.is_pending:
        return None

    # Scoring happens outside any transaction: it is CPU work and must not hold row locks.
    active = classifier.get_active_model()
    scores = active.score(comment.body) if active is not None else None
    explanations = active.explain(comment.body) if active is not None else {}
    thresholds = policy.effective_thresholds(
        active.thresholds if active is not None else None, settings.MODERATION_THRESHOLDS
    )
    decision = policy.decide(
        scores=scores,
        thresholds=thresholds,
        premoderated=comment.article.is_premoderated,
        rules=rules.gather_rule_signals(comment),
    )

    with transaction.atomic():
        # Re-read under a row lock: two deliveries of the same task (or a moderator's action)
        # may race here, and only the first may decide.
        locked = Comment.objects.select_for_update().get(pk=comment_id)
        if not locked.is_pending:
            return None
        locked.status = decision.status
        locked.scores = scores or {}
        locked.risk = max(scores.values()) if scores else None
        locked.reason_codes = decision.reason_codes
        locked.explanations = explanations
        locked.model_version_id = active.record_id if active is not None else None
        locked.decided_at = timezone.now()
        locked.save(
            update_fields=[
                "status",
                "scores",
                "risk",
                "reason_codes",
                "explanations",
                "model_version",
                "decided_at",
            ]
        )
        record_comment_event(
            comment=locked,
            actor=None,
            action=EventAction.SCORED,
            from_status=CommentStatus.PENDING,
            to_status=decision.status,
        )
    logger.info(
        "comment %s %s by model %s: %s",
        comment_id,
        decision.status,
        active.version if active is not None else "none",
        ",".join(decision.reason_codes),
    )
    return locked


def approve_comment(
    *, comment: Comment, moderator: Any, expected_status: str | None = None
) -> Comment:
    """Publish a comment on a moderator's word (approve a held one, restore a rejected one)."""
    return _moderate(
        comment=comment,
        moderator=moderator,
        to_status=CommentStatus.PUBLISHED,
        action=EventAction.APPROVED,
        expected_status=expected_status,
    )


def reject_comment(
    *,
    comment: Comment,
    moderator: Any,
    reason: str = "",
    note: str = "",
    expected_status: str | None = None,
) -> Comment:
    """Reject a comment on a moderator's word (a held one, or a published one after the fact).

    `reason` is a RejectReason: stored on the event, it becomes a training label.
    """
    return _moderate(
        comment=comment,
        moderator=moderator,
        to_status=CommentStatus.REJECTED,
        action=EventAction.REJECTED,
        reject_reason=reason,
        note=note,
        expected_status=expected_status,
    )


def restore_comment(
    *, comment: Comment, moderator: Any, expected_status: str | None = None
) -> Comment:
    """Publish a rejected comment again: the moderator (or another) was wrong to reject it."""
    # Only a rejected comment can be restored, whatever the caller believed it was.
    if expected_status not in (None, CommentStatus.REJECTED):
        raise InvalidTransition(comment, CommentStatus.PUBLISHED)
    return _moderate(
        comment=comment,
        moderator=moderator,
        to_status=CommentStatus.PUBLISHED,
        action=EventAction.RESTORED,
        expected_status=CommentStatus.REJECTED,
    )


def _moderate(
    *,
    comment: Comment,
    moderator: Any,
    to_status: str,
    action: str,
    reject_reason: str = "",
    note: str = "",
    expected_status: str | None = None,
) -> Comment:
    with transaction.atomic():
        # Lock and re-read: another moderator or a worker may have decided since the page loaded.
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        stale = expected_status is not None and locked.status != expected_status
        if stale or not locked.can_become(to_status):
            raise InvalidTransition(locked, to_status)
        from_status = locked.status
        locked.status = to_status
        locked.decided_at = timezone.now()
        # A moderator's decision answers the readers' reports too: the comment leaves the
        # Reported queue, and an approved one is shown again if reports had hidden it.
        locked.hidden_at = None
        locked.save(update_fields=["status", "decided_at", "hidden_at"])
        Report.objects.open().filter(comment=locked).update(
            resolved_at=locked.decided_at, resolved_by=moderator
        )
        record_comment_event(
            comment=locked,
            actor=moderator,
            action=action,
            from_status=from_status,
            to_status=to_status,
            reject_reason=reject_reason,
            note=note,
        )
    logger.info("comment %s %s -> %s by %s", locked.pk, from_status, to_status, moderator)
    return locked


def sweep_pending_comments(*, older_than: timedelta | None = None, limit: int = 500) -> int:
    """Re-enqueue comments left pending too long; return how many were enqueued.

    A lost task, a dead worker or a broker outage leaves a comment pending; this brings it back.
    `scoring_requested_at` moves only for comments actually enqueued, so a broker outage leaves
    them due for the next sweep, and one comment is asked for at most once per `older_than`.
    """
    if older_than is None:
        older_than = timedelta(seconds=settings.SWEEP_PENDING_AFTER_SECONDS)
    stale_ids = list(
        Comment.objects.stale_pending(older_than)
        .order_by("scoring_requested_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    enqueued: list[int] = []
    for comment_id in stale_ids:
        if not enqueue_scoring(comment_id=comment_id):
            break  # the broker is down: the rest would each wait out the same timeout
        enqueued.append(comment_id)
    if enqueued:
        Comment.objects.filter(pk__in=enqueued).update(scoring_requested_at=timezone.now())
        logger.info("sweeper re-enqueued %d pending comment(s)", len(enqueued))
    if len(enqueued) < len(stale_ids):
        logger.warning(
            "sweeper left %d pending comment(s) for the next sweep: broker unavailable",
            len(stale_ids) - len(enqueued),
        )
    return len(enqueued)


def activate_classifier(
    *, classifier_model: ClassifierModel, actor: Any = None, note: str = ""
) -> ClassifierModel:
    """Make one model version the active one; workers pick it up on their next comment.

    Also the rollback: any earlier version can be made active again. Audited, with `actor`
    None for the system (a promotion after training).
    """
    with transaction.atomic():
        ClassifierModel.objects.active().exclude(pk=classifier_model.pk).update(is_active=False)
        ClassifierModel.objects.filter(pk=classifier_model.pk).update(is_active=True)
        ModerationEvent.objects.create(
            actor=actor,
            action=EventAction.CLASSIFIER_ACTIVATED,
            model_version=classifier_model,
            note=(note or f"Classifier v{classifier_model.version} activated.")[:500],
        )
    classifier_model.is_active = True
    logger.info("classifier v%s is now active", classifier_model.version)
    return classifier_model


def save_classifier_version(
    *, trained: TrainedModel, artifact: bytes, activate: bool, promotion_note: str = ""
) -> ClassifierModel:
    """Store a trained model as the next version and, if asked, make it the active one."""
    with transaction.atomic():
        # Two trainings finishing together would pick the same number; the unique constraint on
        # version makes the second fail instead of overwriting the first.
        latest = ClassifierModel.objects.aggregate(latest=Max("version"))["latest"] or 0
        record = ClassifierModel.objects.create(
            version=latest + 1,
            labels=list(trained.labels),
            artifact=artifact,
            artifact_sha256=hashlib.sha256(artifact).hexdigest(),
            metrics=trained.metrics,
            library_versions=trained.library_versions,
            data_reference=trained.data_reference,
            training_seconds=trained.training_seconds,
            thresholds=trained.thresholds,
            workload=trained.workload,
            promotion_note=promotion_note,
        )
        if activate:
            activate_classifier(classifier_model=record, note=promotion_note)
    return record


def moderator_decisions(*, labels: tuple[str, ...]) -> dict[str, Decisions]:
    """Read moderators' decisions from the audit trail as each label's training examples."""
    rows = (
        DecisionRow(comment_id=comment_id, text=text, action=action, reject_reason=reason, at=at)
        for comment_id, text, action, reason, at in ModerationEvent.objects.moderator_decisions()
        .values_list("comment_id", "comment__body", "action", "reject_reason", "created_at")
        .iterator(chunk_size=2000)
    )
    return decisions_by_label(
        rows, labels=labels, holdout_share=settings.CLASSIFIER_DECISIONS_HOLDOUT_SHARE
    )


def decisions_since_active_model() -> int:
    """How many moderator decisions were made since the active model was trained."""
    active = ClassifierModel.objects.active().values_list("created_at", flat=True).first()
    decisions = ModerationEvent.objects.moderator_decisions()
    return (decisions.since(active) if active is not None else decisions).count()


@dataclass(frozen=True)
class TrainingOutcome:
    record: ClassifierModel
    verdict: promotion.Verdict


def train_classifier_version(
    *,
    data_dir: Path,
    limit: int | None = None,
    promote: str = "if-not-worse",
    progress: Callable[[str], None] = lambda line: None,
) -> TrainingOutcome:
    """Train a candidate on the datasets plus moderators' decisions, store it, maybe promote it.

    `promote` is "if-not-worse" (compare with the active model on the same validation data and
    recent decisions), "always" or "never". Training and comparison run outside any transaction:
    they take a minute of CPU and need no rows locked.
    """
    labels = classifier.LABELS
    decisions = moderator_decisions(labels=labels)
    targets = {
        label: Targets.from_setting(raw)
        for label, raw in settings.MODERATION_TARGETS.items()
        if label in labels
    }
    trained = classifier.train(
        data_dir=data_dir, limit=limit, targets=targets, decisions=decisions, progress=progress
    )
    progress("Serializing")
    artifact = classifier.serialize(trained.pipelines)
    progress(f"  artifact is {len(artifact) / 1e6:.1f} MB")

    active_record = ClassifierModel.objects.active().first()
    if promote == "never":
        verdict = promotion.Verdict(False, ["Stored without activating (asked not to)."])
    elif promote == "always" or active_record is None:
        verdict = promotion.Verdict(
            True, ["Activated on request." if promote == "always" else "No model was active."]
        )
    else:
        progress(f"Comparing with the active model v{active_record.version}")
        try:
            active = classifier.model_from_record(active_record)
        except classifier.ArtifactError as error:
            verdict = promotion.Verdict(
                True, [f"The active v{active_record.version} cannot be loaded ({error})."]
            )
        else:
            verdict = promotion.compare(
                trained, active, tolerance=settings.CLASSIFIER_PROMOTION_TOLERANCE
            )
    record = save_classifier_version(
        trained=trained, artifact=artifact, activate=verdict.promote, promotion_note=verdict.note
    )
    return TrainingOutcome(record=record, verdict=verdict)


def retrain_if_enough_decisions() -> ClassifierModel | None:
    """Train a candidate when enough moderator decisions arrived since the active model."""
    new = decisions_since_active_model()
    wanted = settings.CLASSIFIER_RETRAIN_MIN_DECISIONS
    if new < wanted:
        logger.info("not retraining: %d new moderator decision(s), waiting for %d", new, wanted)
        return None
    logger.info("retraining the classifier: %d new moderator decision(s)", new)
    outcome = train_classifier_version(
        data_dir=Path(settings.TRAINING_DATA_DIR), progress=logger.info
    )
    logger.info("classifier v%s: %s", outcome.record.version, outcome.verdict.note)
    return outcome.record
