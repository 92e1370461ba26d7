"""Score pending comments: read the active model, score, apply the policy, write the decisions.

Run by a Celery worker (`comments.tasks.score_comment`), never in a web request. It imports
scikit-learn (through `comments.model_versions`), which is why only the task body imports it.

A worker scores in batches: the task for one comment claims it and up to SCORING_BATCH_SIZE - 1
other new comments waiting (`claim_for_scoring`), scores them together, and writes every
decision in one transaction; the tasks of the others then find them decided and do nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from comments import live, model_versions, policy, rules
from comments.audit import comment_event
from comments.models import (
    ClassifierModel,
    Comment,
    CommentStatus,
    EventAction,
    ModerationEvent,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What the system decided on one comment, to be written by `_decide_many`.

    With `revision` (a scoring) it stands only if the comment still needs scoring at exactly
    that revision; without (giving up on scoring) only if it still needs scoring at all.
    """

    comment_id: int
    status: str
    reason_codes: list[str]
    action: str
    scores: dict[str, float] = field(default_factory=dict)
    explanations: dict[str, Any] = field(default_factory=dict)
    model_version_id: int | None = None
    note: str = ""
    revision: int | None = None


def score_comment(*, comment_id: int) -> Comment | None:
    """Score one comment alone and apply the policy's decision. Idempotent.

    Returns the decided comment, or None when there was nothing to do (gone, already decided,
    or being scored by another worker's batch).
    """
    decided = score_comments(comment_id=comment_id, batch_size=1)
    return next((comment for comment in decided if comment.pk == comment_id), None)


def score_comments(*, comment_id: int, batch_size: int, claim: str = "") -> list[Comment]:
    """Score a comment and up to `batch_size` - 1 other new ones waiting; return those decided.

    Idempotent: a re-delivered task for a decided comment claims nothing. Every claimed comment
    has its attempt counted before the work starts, so a batch that kills its worker counts for
    each; a failure is recorded per comment, and the SCORING_MAX_ATTEMPTS-th holds it for a
    person (see `hold_unscorable`). `claim` names the claimant (the task's id, so that a task
    redelivered after its worker died takes its comment back at once).
    """
    claim = claim or uuid.uuid4().hex
    claimed = claim_for_scoring(comment_id=comment_id, batch_size=batch_size, claim=claim)
    if not claimed:
        return []
    try:
        return _score(claimed)
    except Exception as batch_error:
        if len(claimed) == 1:
            _fail(claimed[0], batch_error)
            raise
        # One comment may break the batch: score each alone, so only that one fails.
        decided: list[Comment] = []
        first_error: Exception | None = None
        for one in claimed:
            try:
                decided += _score([one])
            except Exception as exc:
                _fail(one, exc)
                first_error = first_error or exc
        if first_error is not None:
            raise first_error from batch_error
        return decided
    finally:
        # Whatever was not decided may be claimed again at once (its next attempt).
        Comment.objects.filter(pk__in=claimed, scoring_claim=claim).update(scoring_claimed_at=None)


def claim_for_scoring(*, comment_id: int, batch_size: int, claim: str) -> list[int]:
    """Claim a comment that needs scoring and up to `batch_size` - 1 new pending ones, counting
    an attempt for each; return their ids, the asked-for comment first ([] if not claimable).

    A comment another worker claimed less than SCORING_CLAIM_SECONDS ago is left alone. Only
    comments never tried join another's batch: one that failed before (or killed its worker) is
    scored by its own task, alone, so that it cannot fail a whole batch twice. On PostgreSQL the
    companions are read `FOR UPDATE SKIP LOCKED`, so two workers claiming at once take different
    rows without waiting; SQLite has no row locks, but its transactions here begin IMMEDIATE (one
    writer at a time), so the read and the update cannot interleave with another claim.
    """
    now = timezone.now()
    free = (
        Q(scoring_claimed_at__isnull=True)
        | Q(scoring_claimed_at__lt=now - timedelta(seconds=settings.SCORING_CLAIM_SECONDS))
        | Q(scoring_claim=claim)
    )
    claimed = {
        "scoring_attempts": F("scoring_attempts") + 1,
        "scoring_claim": claim,
        "scoring_claimed_at": now,
    }
    # The asked-for comment in one statement: most tasks find theirs decided by a batch already,
    # and should cost one round trip. Two claimers at once: the second waits for the first's
    # row lock, then re-checks the condition and finds the comment claimed.
    if not Comment.objects.awaiting_scoring().filter(free, pk=comment_id).update(**claimed):
        return []
    ids = [comment_id]
    if batch_size > 1:
        with transaction.atomic():
            others = list(
                Comment.objects.pending()
                .filter(free, scoring_attempts=0)
                .exclude(pk=comment_id)
                .order_by("scoring_requested_at", "id")
                .select_for_update(
                    skip_locked=connection.features.has_select_for_update_skip_locked
                )
                .values_list("pk", flat=True)[: batch_size - 1]
            )
            Comment.objects.filter(pk__in=others).update(**claimed)
        ids += others
    return ids


def explain_comment(*, comment_id: int) -> bool:
    """Store the explanation a scored comment was decided without (a published one, reported);
    True if stored. Exact: the same model version and the same text the scores came from."""
    wanted = Comment.objects.filter(
        pk=comment_id,
        explanations={},
        model_version__isnull=False,
        scored_revision=F("revision"),
    )
    comment = wanted.first()
    if comment is None or comment.model_version_id is None or not comment.scores:
        return False
    active = model_versions.get_active_model()
    if active is None or active.record_id != comment.model_version_id:
        # Scored by an earlier version: load that one, rarely, and only for this comment.
        active = model_versions.model_from_record(
            ClassifierModel.objects.get(pk=comment.model_version_id)
        )
    explanations = active.explain(comment.body)
    # Unless an edit or another explanation got there while the model worked.
    return bool(wanted.filter(revision=comment.revision).update(explanations=explanations))


def _fail(comment_id: int, exc: Exception) -> None:
    attempts = record_scoring_failure(comment_id=comment_id, error=f"{type(exc).__name__}: {exc}")
    if attempts >= settings.SCORING_MAX_ATTEMPTS:
        hold_unscorable(comment_id=comment_id)


def record_scoring_failure(*, comment_id: int, error: str) -> int:
    """Keep why scoring failed on the comment; return how many attempts it has had."""
    Comment.objects.filter(pk=comment_id).update(scoring_error=error[:500])
    attempts = Comment.objects.filter(pk=comment_id).values_list("scoring_attempts", flat=True)
    return attempts[0] if attempts else 0


def hold_unscorable(*, comment_id: int) -> Comment | None:
    """Hold a comment that scoring keeps failing on, unscored, for a person.

    Called by the task on its last allowed failure, and by the sweeper for comments whose
    attempts ran out without a failure being recorded (the worker died while scoring). An
    edited published comment leaves public view too: its new text was never scored.
    """
    row = Comment.objects.filter(pk=comment_id).values_list("scoring_attempts", "scoring_error")
    if not row:
        return None
    attempts, error = row[0]
    error = error or "the worker stopped while scoring it"
    held = _decide_many(
        [
            Outcome(
                comment_id,
                status=CommentStatus.HELD,
                reason_codes=["scoring_failed"],
                action=EventAction.SCORING_FAILED,
                note=f"Scoring failed {attempts} times: {error}"[:500],
            )
        ]
    )
    if held:
        logger.warning(
            "comment %s held unscored: scoring failed %d times (%s)", comment_id, attempts, error
        )
    return held[0] if held else None


def _score(comment_ids: list[int]) -> list[Comment]:
    comments = [
        comment
        for comment in Comment.objects.select_related("article").filter(pk__in=comment_ids)
        if comment.needs_scoring
    ]
    if not comments:
        return []

    # Scoring happens outside any transaction: it is CPU work and must not hold row locks.
    active = model_versions.get_active_model()
    batch = active.score_batch([c.body for c in comments]) if active is not None else None
    thresholds = policy.effective_thresholds(
        active.thresholds if active is not None else None, settings.MODERATION_THRESHOLDS
    )
    signals = rules.gather_rule_signals_many(comments)
    outcomes = []
    for i, comment in enumerate(comments):
        scores = batch.scores[i] if batch is not None else None
        decision = policy.decide(
            scores=scores,
            thresholds=thresholds,
            premoderated=comment.article.is_premoderated,
            rules=signals[comment.pk],
        )
        # Explained only where a person will look: what the policy holds or rejects. A published
        # comment is explained when a reader reports it (`explain_comment`), from the same
        # model version and text, so every stored explanation is exact.
        explain = batch is not None and decision.status != CommentStatus.PUBLISHED
        outcomes.append(
            Outcome(
                comment.pk,
                status=decision.status,
                reason_codes=decision.reason_codes,
                action=EventAction.SCORED,
                scores=scores or {},
                explanations=batch.explain(i) if batch is not None and explain else {},
                model_version_id=active.record_id if active is not None else None,
                # The revision this batch scores: an edit landing while it works bumps it, and
                # _decide_many then leaves the decision to the task the edit enqueued.
                revision=comment.revision,
            )
        )

    decided = _decide_many(outcomes)
    if logger.isEnabledFor(logging.INFO):
        version = active.version if active is not None else "none"
        for comment in decided:
            logger.info(
                "comment %s %s by model %s: %s",
                comment.pk,
                comment.status,
                version,
                ",".join(comment.reason_codes),
            )
    return decided


def _decide_many(outcomes: list[Outcome]) -> list[Comment]:
    """Write the system's decisions and their audit events, in one transaction; return the
    comments decided.

    A fixed number of statements whatever the batch's size. Two deliveries of the same task, an
    edit, the sweeper giving up or a moderator's action may race here, and only the first may
    decide: each outcome stands only if its comment still needs scoring (at exactly the
    revision scored, for a scoring). A re-scored published comment stays published unless the
    policy holds or rejects the edit.
    """
    by_id = {outcome.comment_id: outcome for outcome in outcomes}
    now = timezone.now()
    with transaction.atomic():
        # Re-read under row locks, in id order (two writers never deadlock), then re-check.
        locked = list(Comment.objects.select_for_update().filter(pk__in=by_id).order_by("pk"))
        changed: list[tuple[Comment, str, Outcome]] = []
        for comment in locked:
            outcome = by_id[comment.pk]
            if not comment.needs_scoring:
                continue
            if outcome.revision is not None and comment.revision != outcome.revision:
                continue
            from_status = comment.status
            comment.scored_revision = comment.revision
            comment.status = outcome.status
            comment.scores = outcome.scores
            comment.risk = max(outcome.scores.values()) if outcome.scores else None
            comment.reason_codes = outcome.reason_codes
            comment.explanations = outcome.explanations
            comment.model_version_id = outcome.model_version_id
            comment.decided_at = now
            changed.append((comment, from_status, outcome))
        if not changed:
            return []
        # One statement for the batch. An upsert of rows that exist (and that this transaction
        # holds locked) rather than bulk_update: its CASE WHEN per row and field cost Django
        # ~5 ms a comment to build, more than everything else a comment costs a worker.
        Comment.objects.bulk_create(
            [comment for comment, _, _ in changed],
            update_conflicts=True,
            unique_fields=["id"],
            update_fields=[
                "status",
                "scores",
                "risk",
                "reason_codes",
                "explanations",
                "model_version",
                "decided_at",
                "scored_revision",
            ],
        )
        parents = {
            comment.parent_id
            for comment, from_status, _ in changed
            if comment.parent_id is not None
            and (from_status == CommentStatus.PUBLISHED) != comment.is_published
        }
        if parents:
            Comment.objects.filter(pk__in=parents).refresh_reply_counts()
        ModerationEvent.objects.bulk_create(
            comment_event(
                comment=comment,
                actor=None,
                action=outcome.action,
                from_status=from_status,
                to_status=comment.status,
                note=outcome.note,
            )
            for comment, from_status, outcome in changed
        )
        # Open pages of the articles learn of it at their next poll (comments.live): comments
        # that came into view, and published ones edited (kept up or taken out of view).
        touched = {
            comment.article_id
            for comment, from_status, _ in changed
            if comment.is_published or from_status == CommentStatus.PUBLISHED
        }
        shown = Counter(
            comment.article_id
            for comment, from_status, _ in changed
            if comment.is_published and from_status != CommentStatus.PUBLISHED
        )
        if touched:
            transaction.on_commit(lambda: live.bump_articles(touched, shown))
    return [comment for comment, _, _ in changed]
