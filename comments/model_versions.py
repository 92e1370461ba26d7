"""Classifier versions: the `ClassifierModel` rows, from training to the model a worker scores with.

Train a candidate, store it, promote it if it is not worse, activate (or roll back to) any stored
version, and load the active one once per process. The ML itself is `comments/classifier/`; this
module is where it meets the database. It imports scikit-learn, so web code that only names
labels or enqueues work must not import it (see tests/newsroom/test_lean_startup.py).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Max

from comments.classifier import promotion
from comments.classifier.artifact import ArtifactError, deserialize, serialize
from comments.classifier.decisions import DecisionRow, decisions_by_label
from comments.classifier.labels import LABELS
from comments.classifier.runtime import ActiveModel
from comments.classifier.thresholds import Targets
from comments.classifier.training import Decisions, TrainedModel, train
from comments.models import (
    ClassifierModel,
    EventAction,
    ExternalLabel,
    ModerationEvent,
    RejectReason,
)

logger = logging.getLogger(__name__)


def model_from_record(record: ClassifierModel) -> ActiveModel:
    """Check and load a fetched ClassifierModel row; raise ArtifactError on any mismatch."""
    data = bytes(record.artifact)  # PostgreSQL hands back a memoryview
    if hashlib.sha256(data).hexdigest() != record.artifact_sha256:
        raise ArtifactError(f"classifier v{record.version}: artifact does not match its sha256")
    pipelines = deserialize(data)
    if list(pipelines) != list(record.labels):
        raise ArtifactError(
            f"classifier v{record.version}: artifact labels {list(pipelines)} "
            f"differ from the recorded {record.labels}"
        )
    return ActiveModel(
        record_id=record.pk,
        version=record.version,
        pipelines=pipelines,
        thresholds=record.thresholds,
    )


ModelKey = tuple[int, str]  # (ClassifierModel pk, artifact sha256)


class _ModelCache:
    """The one model a process scores with, swapped when another version becomes active."""

    def __init__(self) -> None:
        # Celery may run threads; the lock makes one thread load while the others wait for it
        # rather than each loading the same artifact.
        self._lock = threading.Lock()
        self.loaded: ActiveModel | None = None
        # A version is known by its pk and its artifact's digest together: a database may hand
        # a deleted row's pk to a new one (SQLite does), and a worker must not mistake the two.
        self.loaded_key: ModelKey | None = None
        # The active version whose artifact failed to load. Artifacts are immutable, so retrying
        # it on every comment would only repeat the failure (and the log line); a new activation
        # is tried afresh.
        self.failed_key: ModelKey | None = None
        self.failure = ""  # why `failed_key` did not load, for the worker's heartbeat

    def get(self, key: ModelKey) -> ActiveModel | None:
        record_id = key[0]
        with self._lock:
            if key in (self.loaded_key, self.failed_key):
                return self.loaded
            # Fetching the row is outside the try: a database error is transient and must not
            # mark this version as failed; let it fail the task, which will be retried.
            record = ClassifierModel.objects.filter(pk=record_id).first()
            if record is None:
                return self.loaded
            try:
                model = model_from_record(record)
            except Exception as exc:
                self.failed_key = key
                self.failure = f"classifier v{record.version}: {type(exc).__name__}: {exc}"
                logger.exception(
                    "could not load classifier v%s (id %s); still serving %s",
                    record.version,
                    record_id,
                    f"v{self.loaded.version}" if self.loaded is not None else "no model",
                )
                return self.loaded
            self.loaded, self.loaded_key, self.failed_key, self.failure = model, key, None, ""
            logger.info("loaded classifier v%s (id %s)", model.version, model.record_id)
            return model

    def clear(self) -> None:
        with self._lock:
            self.loaded, self.loaded_key, self.failed_key, self.failure = None, None, None, ""


_cache = _ModelCache()


def get_active_model() -> ActiveModel | None:
    """Return the active model version, loaded once per process; None when none is active.

    One cheap query per call (never the artifact's bytes) notices a newly activated version
    without a worker restart. If its artifact fails to load, the error is logged once and the
    previously loaded model keeps serving.
    """
    active = ClassifierModel.objects.active().values_list("pk", "artifact_sha256").first()
    if active is None:
        return None
    return _cache.get(active)


# How long a web process's nudge may go on with the version it was told was active (a draft is
# only advised, never decided: the worker scores every saved comment with the active one).
ACTIVE_VERSION_CACHE_SECONDS = 5
_ACTIVE_VERSION_CACHE_KEY = "classifier:active-version"


def get_active_model_cached() -> ActiveModel | None:
    """`get_active_model` for the web's nudge: the same per-process model, but which version is
    active comes from the shared cache, asked of the database at most every
    ACTIVE_VERSION_CACHE_SECONDS.

    The query is the nudge's only one, and on SQLite it walks past the artifact's bytes (about
    1 ms CPU per post); a cache read is a tenth of that. A version activated meanwhile reaches
    the nudge within those seconds. A cache that fails costs only the query.
    """
    try:
        known = cache.get(_ACTIVE_VERSION_CACHE_KEY)
    except Exception:
        logger.exception("the cache is unavailable; asking the database for the active model")
        known = None
    if known is None:
        active = ClassifierModel.objects.active().values_list("pk", "artifact_sha256").first()
        known = tuple(active) if active is not None else ()  # () for "none is active"
        try:
            cache.set(_ACTIVE_VERSION_CACHE_KEY, known, timeout=ACTIVE_VERSION_CACHE_SECONDS)
        except Exception:
            logger.exception("could not keep the active model version in the cache")
    return _cache.get(tuple(known)) if known else None


@dataclass(frozen=True)
class ModelStatus:
    """The version this process scores with (None: none), and why the active one is not it."""

    version: int | None
    error: str


def active_model_status() -> ModelStatus:
    """Load the active version as scoring would, and say what this process now scores with."""
    model = get_active_model()
    active = ClassifierModel.objects.active().values_list("pk", "artifact_sha256").first()
    failed = active is not None and tuple(active) == _cache.failed_key
    return ModelStatus(
        version=model.version if model is not None else None,
        error=_cache.failure if failed else "",
    )


def clear_model_cache() -> None:
    """Forget the loaded model and any failed load, so the next call loads afresh (tests)."""
    _cache.clear()


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


def activate_stored_version(
    *, classifier_model: ClassifierModel, actor: Any = None, note: str = ""
) -> ClassifierModel:
    """Roll back (or forward) to a stored version by hand, once its artifact is known to load.

    Raises ArtifactError for a version that cannot be loaded: refused here, by the operator's
    hand, rather than discovered by every worker on its next comment.
    """
    # The row as stored, artifact included: the caller's may have deferred it.
    model_from_record(ClassifierModel.objects.get(pk=classifier_model.pk))
    return activate_classifier(classifier_model=classifier_model, actor=actor, note=note)


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
    """Read moderators' decisions, and labels sent by other systems, as training examples.

    A label suggested through the Perspective-compatible API (`ExternalLabel`) is one more
    decision on one more text: it joins the same examples, the same held-out recent share and so
    the same promotion gate.
    """
    events = (
        ModerationEvent.objects.decisions_and_undos()
        .values_list("comment_id", "comment__body", "action", "reject_reason", "created_at")
        .iterator(chunk_size=2000)
    )
    rows = [
        DecisionRow(comment_id=pk, text=text, targets=_targets(action, reason, labels), at=at)
        for pk, text, action, reason, at in events
    ]
    rows.extend(external_label_rows())
    return decisions_by_label(
        rows, labels=labels, holdout_share=settings.CLASSIFIER_DECISIONS_HOLDOUT_SHARE
    )


def external_label_rows() -> list[DecisionRow]:
    """Labels suggested by other systems, oldest first, each keyed apart from comments' pks."""
    labels = (
        ExternalLabel.objects.order_by("created_at", "id")
        .values_list("pk", "source", "external_id", "text", "label", "value", "created_at")
        .iterator(chunk_size=2000)
    )
    return [
        DecisionRow(
            # The sender's id for the text, when it gave one, so that its later word replaces
            # its earlier one; the row's own pk otherwise.
            comment_id=f"{source}:{external_id}" if external_id else f"external:{pk}",
            text=text,
            targets={label: 1 if value >= 0.5 else 0},
            at=at,
        )
        for pk, source, external_id, text, label, value, at in labels
    ]


def _targets(action: str, reject_reason: str, labels: tuple[str, ...]) -> dict[str, int] | None:
    """What one decision says about each label; None for an undo, which withdraws the last one."""
    if action == EventAction.UNDONE:
        return None
    if action == EventAction.REJECTED:
        label = RejectReason(reject_reason).label_for_training if reject_reason else None
        return {label: 1} if label is not None else {}
    return dict.fromkeys(labels, 0)  # published (approved or restored): none of the labels


def decisions_since_active_model() -> int:
    """How many decisions (moderators' and external labels) arrived since the active model."""
    active = ClassifierModel.objects.active().values_list("created_at", flat=True).first()
    decisions = ModerationEvent.objects.decisions_and_undos()
    external = ExternalLabel.objects.all()
    if active is not None:
        decisions, external = decisions.since(active), external.since(active)
    return decisions.count() + external.count()


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
    decisions = moderator_decisions(labels=LABELS)
    targets = {
        label: Targets.from_setting(raw)
        for label, raw in settings.MODERATION_TARGETS.items()
        if label in LABELS
    }
    trained = train(
        data_dir=data_dir, limit=limit, targets=targets, decisions=decisions, progress=progress
    )
    progress("Serializing")
    artifact = serialize(trained.pipelines)
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
            active = model_from_record(active_record)
        except ArtifactError as error:
            verdict = promotion.Verdict(
                True, [f"The active v{active_record.version} cannot be loaded ({error})."]
            )
        else:
            verdict = promotion.compare(
                trained,
                active,
                tolerance=settings.CLASSIFIER_PROMOTION_TOLERANCE,
                fairness_tolerance=settings.CLASSIFIER_FAIRNESS_TOLERANCE,
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
