"""Score a pending comment: read the active model, score, apply the policy, write the decision.

Run by a Celery worker (`comments.tasks.score_comment`), never in a web request. It imports
scikit-learn (through `comments.model_versions`), which is why only the task body imports it.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from comments import model_versions, policy, rules
from comments.audit import record_comment_event
from comments.models import Comment, CommentStatus, EventAction

logger = logging.getLogger(__name__)


def score_comment(*, comment_id: int) -> Comment | None:
    """Score a pending comment and apply the policy's decision. Idempotent.

    Returns the decided comment, or None when there was nothing to do (gone, or already decided:
    a re-delivered task, or a moderator got there first).
    """
    comment = Comment.objects.select_related("article").filter(pk=comment_id).first()
    if comment is None or not comment.is_pending:
        return None

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
