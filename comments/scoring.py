"""Score a pending comment: read the active model, score, apply the policy, write the decision.

Run by a Celery worker (`comments.tasks.score_comment`), never in a web request. It imports
scikit-learn (through `comments.model_versions`), which is why only the task body imports it.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from comments import live, model_versions, policy, rules
from comments.audit import record_comment_event
from comments.models import Comment, CommentStatus, EventAction

logger = logging.getLogger(__name__)


def score_comment(*, comment_id: int) -> Comment | None:
    """Score a pending comment and apply the policy's decision. Idempotent.

    Returns the decided comment, or None when there was nothing to do (gone, or already decided:
    a re-delivered task, or a moderator got there first). Every attempt is counted before the
    work starts, so one that kills its worker counts too; a failure is recorded, and the
    SCORING_MAX_ATTEMPTS-th holds the comment for a person (see `hold_unscorable`).
    """
    # Counted outside any transaction, so that it survives whatever happens next.
    started = (
        Comment.objects.awaiting_scoring()
        .filter(pk=comment_id)
        .update(scoring_attempts=F("scoring_attempts") + 1)
    )
    if not started:
        return None
    try:
        return _score(comment_id)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        attempts = record_scoring_failure(comment_id=comment_id, error=error)
        if attempts >= settings.SCORING_MAX_ATTEMPTS:
            hold_unscorable(comment_id=comment_id)
        raise


def record_scoring_failure(*, comment_id: int, error: str) -> int:
    """Keep why scoring failed on the comment; return how many attempts it has had."""
    Comment.objects.filter(pk=comment_id).update(scoring_error=error[:500])
    attempts = Comment.objects.filter(pk=comment_id).values_list("scoring_attempts", flat=True)
    return attempts[0] if attempts else 0


def hold_unscorable(*, comment_id: int) -> Comment | None:
    """Hold a pending comment that scoring keeps failing on, unscored, for a person.

    Called by the task on its last allowed failure, and by the sweeper for comments whose
    attempts ran out without a failure being recorded (the worker died while scoring).
    """
    row = Comment.objects.filter(pk=comment_id).values_list("scoring_attempts", "scoring_error")
    if not row:
        return None
    attempts, error = row[0]
    error = error or "the worker stopped while scoring it"
    held = _decide(
        comment_id,
        status=CommentStatus.HELD,
        reason_codes=["scoring_failed"],
        action=EventAction.SCORING_FAILED,
        note=f"Scoring failed {attempts} times: {error}"[:500],
    )
    if held is not None:
        logger.warning(
            "comment %s held unscored: scoring failed %d times (%s)", comment_id, attempts, error
        )
    return held


def _score(comment_id: int) -> Comment | None:
    comment = Comment.objects.select_related("article").filter(pk=comment_id).first()
    if comment is None or not comment.needs_scoring:
        return None
    # The revision this task scores: an edit landing while it works bumps it, and _decide then
    # leaves the decision to the task the edit enqueued, which reads the new text.
    revision = comment.revision

    # Scoring happens outside any transaction: it is CPU work and must not hold row locks.
    active = model_versions.get_active_model()
    scores, explanations = (
        active.score_and_explain(comment.body) if active is not None else (None, {})
    )
    thresholds = policy.effective_thresholds(
        active.thresholds if active is not None else None, settings.MODERATION_THRESHOLDS
    )
    decision = policy.decide(
        scores=scores,
        thresholds=thresholds,
        premoderated=comment.article.is_premoderated,
        rules=rules.gather_rule_signals(comment),
    )

    locked = _decide(
        comment_id,
        status=decision.status,
        reason_codes=decision.reason_codes,
        action=EventAction.SCORED,
        scores=scores,
        explanations=explanations,
        model_version_id=active.record_id if active is not None else None,
        revision=revision,
    )
    if locked is None:
        return None
    logger.info(
        "comment %s %s by model %s: %s",
        comment_id,
        decision.status,
        active.version if active is not None else "none",
        ",".join(decision.reason_codes),
    )
    return locked


def _decide(
    comment_id: int,
    *,
    status: str,
    reason_codes: list[str],
    action: str,
    scores: dict[str, float] | None = None,
    explanations: dict[str, Any] | None = None,
    model_version_id: int | None = None,
    note: str = "",
    revision: int | None = None,
) -> Comment | None:
    """Write the system's decision on a comment and its audit event, in one transaction.

    With `revision` (a scoring): None unless the comment still needs scoring at exactly that
    revision; without (giving up on scoring): None unless it is still pending. Two deliveries
    of the same task, an edit, the sweeper giving up or a moderator's action may race here,
    and only the first may decide. A re-scored published comment stays published unless the
    policy holds or rejects the edit.
    """
    with transaction.atomic():
        # Re-read under a row lock, then re-check: the race above is decided here.
        locked = Comment.objects.select_for_update().filter(pk=comment_id).first()
        if locked is None:
            return None
        if revision is None and not locked.is_pending:
            return None
        if revision is not None and (not locked.needs_scoring or locked.revision != revision):
            return None
        from_status = locked.status
        locked.scored_revision = locked.revision
        locked.status = status
        locked.scores = scores or {}
        locked.risk = max(scores.values()) if scores else None
        locked.reason_codes = reason_codes
        locked.explanations = explanations or {}
        locked.model_version_id = model_version_id
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
                "scored_revision",
            ]
        )
        if (from_status == CommentStatus.PUBLISHED) != (status == CommentStatus.PUBLISHED):
            locked.refresh_parent_reply_count()
        record_comment_event(
            comment=locked,
            actor=None,
            action=action,
            from_status=from_status,
            to_status=status,
            note=note,
        )
        if status == CommentStatus.PUBLISHED and from_status != CommentStatus.PUBLISHED:
            # Open pages of the article learn of it at their next poll (comments.live).
            live.bump_on_commit([locked.article_id], published=True)
        elif status == CommentStatus.PUBLISHED or from_status == CommentStatus.PUBLISHED:
            # A published comment's edit, kept up with its new text or taken out of view.
            live.bump_on_commit([locked.article_id])
    return locked
