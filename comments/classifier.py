"""The comment classifier: build, train, serialize, load and score one probability per label.

Each label has its own pipeline (hashed word and character n-grams, TF-IDF weighting, logistic
regression) trained on its own dataset. A trained model is a dict {label: Pipeline} stored as
skops bytes in `ClassifierModel.artifact`; workers load the active version lazily and cache it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import logging
import platform
import threading
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy
import sklearn
import skops
import skops.io as sio
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import FeatureUnion, Pipeline

from comments.models import ClassifierModel

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LabelSource:
    """Where one label's examples come from: a CSV file under the training data directory."""

    label: str
    path: str  # relative to the data directory
    id_column: str
    text_column: str
    # An example is positive when any of these 0/1 columns is 1.
    positive_columns: tuple[str, ...]
    # Another dataset whose negative rows are negatives for this label too, up to a number of
    # rows: YouTube's comments alone teach the spam model that any long, polite comment looks
    # like spam (64% of ordinary discussion scored 0.4 or more); discussion is not spam.
    negatives_from: LabelSource | None = None
    negatives_limit: int = 0

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.id_column, self.text_column, *self.positive_columns)


JIGSAW = LabelSource(
    label="toxicity",
    path="jigsaw/train.csv",
    id_column="id",
    text_column="comment_text",
    positive_columns=("toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"),
)

# Adding a label means adding its source here (and its thresholds in settings).
SOURCES: tuple[LabelSource, ...] = (
    JIGSAW,
    LabelSource(
        label="spam",
        path="youtube_spam/train.csv",
        id_column="COMMENT_ID",
        text_column="CONTENT",
        positive_columns=("CLASS",),
        negatives_from=JIGSAW,
        negatives_limit=6000,
    ),
)
LABELS: tuple[str, ...] = tuple(source.label for source in SOURCES)

# sha1 % 5 is the datasets' own hold-out, already removed from these files; sha256 gives an
# independent, deterministic validation split of what remains.
SPLIT_RULE = "validation iff int(hashlib.sha256(id.encode('utf-8')).hexdigest(), 16) % 5 == 0"

# Hashed features keep the artifact small and fast to save: a fitted TfidfVectorizer's vocabulary
# makes skops slow. 2**18 word + 2**18 char buckets per label: about 17 MB uncompressed for two
# labels (the dense float64 coef and idf arrays dominate), under 5 MB deflated.
WORD_FEATURES = 2**18
CHAR_FEATURES = 2**18
REGULARIZATION_C = 4.0

# Every type a trained artifact may contain, as "module.Class". Loading refuses anything else,
# including scikit-learn types that skops itself would trust: a model is only ever this shape.
TRUSTED_TYPES: frozenset[str] = frozenset(
    {
        "builtins.dict",
        "builtins.list",
        "builtins.tuple",
        "builtins.str",
        "builtins.int",
        "builtins.float",
        "builtins.bool",
        "builtins.NoneType",
        "numpy.ndarray",
        "numpy.float64",
        "sklearn.pipeline.Pipeline",
        "sklearn.pipeline.FeatureUnion",
        "sklearn.feature_extraction.text.HashingVectorizer",
        "sklearn.feature_extraction.text.TfidfTransformer",
        "sklearn.linear_model._logistic.LogisticRegression",
    }
)


class TrainingDataError(Exception):
    """The training data is missing, malformed or too small to train and validate on."""


class ArtifactError(Exception):
    """A stored artifact cannot be loaded: corrupt, altered, or not a model of this shape."""


class UntrustedArtifact(ArtifactError):
    """A stored artifact holds types outside TRUSTED_TYPES; it is refused before loading."""

    def __init__(self, types: set[str]) -> None:
        self.types = sorted(types)
        super().__init__(f"artifact holds untrusted type(s): {', '.join(self.types)}")


# Build and train.


@dataclass
class Examples:
    """One label's examples as read from its CSV, with the validation split marked."""

    source: LabelSource
    texts: list[str]
    targets: npt.NDArray[np.int8]
    validation: npt.NDArray[np.bool_]
    file_sha256: str
    # True for rows of the label's own dataset, False for negatives borrowed from another.
    own: npt.NDArray[np.bool_]
    borrowed_sha256: str = ""

    @property
    def n_train(self) -> int:
        return int((~self.validation).sum())

    @property
    def n_validation(self) -> int:
        return int(self.validation.sum())


@dataclass
class TrainedModel:
    """A freshly trained model with everything its ClassifierModel row records."""

    pipelines: dict[str, Pipeline]
    metrics: dict[str, dict[str, Any]]
    data_reference: dict[str, Any]
    library_versions: dict[str, str]
    training_seconds: float

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.pipelines)


def build_pipeline() -> Pipeline:
    """Return an unfitted pipeline: hashed word 1-2-grams and char 2-5-grams, TF-IDF, logistic."""

    def hashed_tfidf(**hashing: Any) -> Pipeline:
        # norm=None and no alternate signs so TfidfTransformer sees plain counts; it applies the
        # sublinear tf, the IDF weights and the l2 norm.
        return Pipeline(
            [
                (
                    "hash",
                    HashingVectorizer(
                        lowercase=True, alternate_sign=False, norm=None, dtype=np.float64, **hashing
                    ),
                ),
                ("tfidf", TfidfTransformer(sublinear_tf=True)),
            ]
        )

    features = FeatureUnion(
        [
            ("words", hashed_tfidf(ngram_range=(1, 2), n_features=WORD_FEATURES)),
            (
                "chars",
                hashed_tfidf(analyzer="char_wb", ngram_range=(2, 5), n_features=CHAR_FEATURES),
            ),
        ]
    )
    return Pipeline(
        [
            ("features", features),
            ("model", LogisticRegression(C=REGULARIZATION_C, solver="liblinear")),
        ]
    )


def is_validation(example_id: str) -> bool:
    """Tell whether an example belongs to the validation split (see SPLIT_RULE)."""
    return int(hashlib.sha256(example_id.encode("utf-8")).hexdigest(), 16) % 5 == 0


def read_examples(source: LabelSource, *, data_dir: Path, limit: int | None = None) -> Examples:
    """Read one label's CSV (its first `limit` rows if given) and mark the validation split."""
    path = data_dir / source.path
    if not path.is_file():
        raise TrainingDataError(f"{source.label}: training data file {path} does not exist")
    with path.open("rb") as binary:
        file_sha256 = hashlib.file_digest(binary, "sha256").hexdigest()

    texts: list[str] = []
    targets: list[int] = []
    validation: list[bool] = []
    for row in _read_rows(path, source, limit):
        texts.append(row[source.text_column])
        targets.append(_target(row, source, path))
        validation.append(is_validation(row[source.id_column]))
    n_own = len(texts)

    borrowed_sha256 = ""
    if source.negatives_from is not None:
        other = source.negatives_from
        other_path = data_dir / other.path
        if not other_path.is_file():
            raise TrainingDataError(f"{source.label}: negatives file {other_path} does not exist")
        with other_path.open("rb") as binary:
            borrowed_sha256 = hashlib.file_digest(binary, "sha256").hexdigest()
        wanted = min(source.negatives_limit, limit) if limit else source.negatives_limit
        negatives = (
            row
            for row in _read_rows(other_path, other, None)
            if _target(row, other, other_path) == 0
        )
        for row in itertools.islice(negatives, wanted):
            texts.append(row[other.text_column])
            targets.append(0)
            validation.append(is_validation(row[other.id_column]))

    examples = Examples(
        source=source,
        texts=texts,
        targets=np.array(targets, dtype=np.int8),
        validation=np.array(validation, dtype=bool),
        file_sha256=file_sha256,
        own=np.arange(len(texts)) < n_own,
        borrowed_sha256=borrowed_sha256,
    )
    _check_both_classes(examples, path)
    return examples


def _read_rows(path: Path, source: LabelSource, limit: int | None) -> Iterator[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as text:
        reader = csv.DictReader(text)
        header = reader.fieldnames or []
        missing = [column for column in source.columns if column not in header]
        if missing:
            raise TrainingDataError(
                f"{source.label}: {path} lacks column(s) {', '.join(missing)} "
                f"(it has: {', '.join(header) or 'no header'})"
            )
        yield from itertools.islice(reader, limit)


def _target(row: dict[str, str], source: LabelSource, path: Path) -> int:
    values = [row[column].strip() for column in source.positive_columns]
    if any(value not in {"0", "1"} for value in values):
        raise TrainingDataError(
            f"{source.label}: {path} row {row[source.id_column]!r} has a label other than 0/1"
        )
    return int("1" in values)


def _check_both_classes(examples: Examples, path: Path) -> None:
    # ROC-AUC needs both classes in the validation part, and the fit needs both in training.
    for part, mask in (("training", ~examples.validation), ("validation", examples.validation)):
        classes = set(np.unique(examples.targets[mask]).tolist())
        if classes != {0, 1}:
            raise TrainingDataError(
                f"{examples.source.label}: the {part} part of {path} "
                f"({int(mask.sum())} rows) does not hold both classes; use more rows"
            )


def train(
    *,
    data_dir: Path,
    limit: int | None = None,
    progress: Callable[[str], None] = lambda line: None,
) -> TrainedModel:
    """Train one pipeline per label and validate it on the held-out split.

    Reads every dataset before fitting anything, so a bad file fails in seconds, not after a fit.
    No database access: the caller stores the result.
    """
    started = time.perf_counter()
    progress(f"Reading training data from {data_dir}" + (f" (first {limit} rows)" if limit else ""))
    all_examples = []
    for source in SOURCES:
        examples = read_examples(source, data_dir=data_dir, limit=limit)
        borrowed = int((~examples.own).sum())
        progress(
            f"  {source.label}: {source.path}, {int(examples.own.sum()):,} rows "
            f"({int(examples.targets.sum()):,} positive)"
            + (
                f" + {borrowed:,} negatives from {source.negatives_from.path}"
                if source.negatives_from is not None
                else ""
            )
            + f": {examples.n_train:,} train, {examples.n_validation:,} validation"
        )
        all_examples.append(examples)

    pipelines: dict[str, Pipeline] = {}
    metrics: dict[str, dict[str, Any]] = {}
    for examples in all_examples:
        label = examples.source.label
        progress(f"Fitting {label} on {examples.n_train:,} rows")
        fit_started = time.perf_counter()
        pipelines[label], metrics[label] = fit_label(examples)
        progress(
            f"  fitted in {time.perf_counter() - fit_started:.1f} s; validation ROC-AUC "
            f"{metrics[label]['roc_auc']:.4f} on {metrics[label]['n_validation']:,} rows"
        )
        borrowed_from = examples.source.negatives_from
        if borrowed_from is not None:
            progress(
                f"  with {borrowed_from.path} negatives too: ROC-AUC "
                f"{metrics[label]['roc_auc_with_borrowed_negatives']:.4f}; 90% of that "
                f"discussion scores below {metrics[label]['borrowed_negatives_p90_score']:.2f}"
            )

    return TrainedModel(
        pipelines=pipelines,
        metrics=metrics,
        data_reference=data_reference(all_examples, data_dir=data_dir, limit=limit),
        library_versions=library_versions(),
        training_seconds=time.perf_counter() - started,
    )


def fit_label(examples: Examples) -> tuple[Pipeline, dict[str, Any]]:
    """Fit one label's pipeline on the training split; return it with its validation metrics."""
    texts = np.array(examples.texts, dtype=object)
    train_mask, validation_mask = ~examples.validation, examples.validation
    pipeline = build_pipeline()
    pipeline.fit(texts[train_mask], examples.targets[train_mask])
    scores = _positive_probabilities(pipeline, texts[validation_mask])
    targets = examples.targets[validation_mask]
    own = examples.own[validation_mask]
    # The headline figure is on the label's own dataset, comparable with published results.
    metrics: dict[str, Any] = {
        "roc_auc": float(roc_auc_score(targets[own], scores[own])),
        "n_train": examples.n_train,
        "n_validation": int(own.sum()),
    }
    if not own.all():
        metrics["roc_auc_with_borrowed_negatives"] = float(roc_auc_score(targets, scores))
        metrics["n_validation_borrowed"] = int((~own).sum())
        metrics["borrowed_negatives_p90_score"] = float(np.quantile(scores[~own], 0.9))
    return pipeline, metrics


def data_reference(
    all_examples: list[Examples], *, data_dir: Path, limit: int | None
) -> dict[str, Any]:
    """Describe the data a model was trained on, enough to tell whether it changed since."""
    return {
        "data_dir": str(data_dir),
        "limit": limit,
        "split": SPLIT_RULE,
        "files": {
            examples.source.label: {
                "path": examples.source.path,
                "sha256": examples.file_sha256,
                "rows": int(examples.own.sum()),
                "positives": int(examples.targets.sum()),
                **(
                    {
                        "negatives_from": examples.source.negatives_from.path,
                        "negatives_sha256": examples.borrowed_sha256,
                        "negatives_rows": int((~examples.own).sum()),
                    }
                    if examples.source.negatives_from is not None
                    else {}
                ),
            }
            for examples in all_examples
        },
    }


def library_versions() -> dict[str, str]:
    """Return the versions an artifact was made with; skops loads are only safe within them."""
    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "skops": skops.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
    }


# Serialize and load.


def serialize(pipelines: Mapping[str, Pipeline]) -> bytes:
    """Return skops bytes for a {label: Pipeline} model."""
    # Deflate: most hash buckets are never seen, and their zero coefficients compress well.
    return sio.dumps(dict(pipelines), compression=zipfile.ZIP_DEFLATED)


def artifact_types(data: bytes) -> set[str]:
    """Return every "module.Class" named in an artifact's schema, without loading anything.

    skops's own audit trusts every scikit-learn estimator; walking the schema lets us hold an
    artifact to TRUSTED_TYPES exactly. Every node of the schema names its type, so a walk over
    all of it cannot miss one (a dict key that happens to look like a type only adds a refusal).
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            schema = json.loads(archive.read("schema.json"))
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise ArtifactError(f"not a skops artifact: {error}") from error

    found: set[str] = set()
    pending: list[Any] = [schema]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            if "__module__" in node and "__class__" in node:
                found.add(f"{node['__module__']}.{node['__class__']}")
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return found


def deserialize(data: bytes) -> dict[str, Pipeline]:
    """Load skops bytes into a {label: Pipeline} model, refusing any type outside TRUSTED_TYPES."""
    untrusted = (artifact_types(data) | set(sio.get_untrusted_types(data=data))) - TRUSTED_TYPES
    if untrusted:
        raise UntrustedArtifact(untrusted)
    pipelines = sio.loads(data, trusted=sorted(TRUSTED_TYPES))
    if not isinstance(pipelines, dict) or not all(
        isinstance(label, str)
        and isinstance(pipeline, Pipeline)
        and list(getattr(pipeline, "classes_", [])) == [0, 1]
        for label, pipeline in pipelines.items()
    ):
        raise ArtifactError("artifact is not a {label: fitted binary Pipeline} dict")
    return pipelines


# Score.


class ActiveModel:
    """A loaded, ready-to-score model version."""

    def __init__(self, *, record_id: int, version: int, pipelines: Mapping[str, Pipeline]) -> None:
        self.record_id = record_id
        self.version = version
        self.labels: tuple[str, ...] = tuple(pipelines)
        self._pipelines = dict(pipelines)

    def __repr__(self) -> str:
        return f"<ActiveModel v{self.version} {', '.join(self.labels)}>"

    def score(self, text: str) -> dict[str, float]:
        """Return {label: probability} for one text."""
        return {label: scores[0] for label, scores in self.score_many([text]).items()}

    def score_many(self, texts: list[str]) -> dict[str, list[float]]:
        """Return {label: [probability per text]}, as plain floats (JSON-ready)."""
        if not texts:
            return {label: [] for label in self.labels}
        batch = np.array(texts, dtype=object)
        return {
            label: _positive_probabilities(pipeline, batch).tolist()
            for label, pipeline in self._pipelines.items()
        }


def _positive_probabilities(pipeline: Pipeline, texts: npt.NDArray[Any]) -> npt.NDArray[Any]:
    positive = list(pipeline.classes_).index(1)
    probabilities: npt.NDArray[Any] = pipeline.predict_proba(texts)[:, positive]
    return probabilities


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
    return ActiveModel(record_id=record.pk, version=record.version, pipelines=pipelines)


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
            except Exception:
                self.failed_key = key
                logger.exception(
                    "could not load classifier v%s (id %s); still serving %s",
                    record.version,
                    record_id,
                    f"v{self.loaded.version}" if self.loaded is not None else "no model",
                )
                return self.loaded
            self.loaded, self.loaded_key, self.failed_key = model, key, None
            logger.info("loaded classifier v%s (id %s)", model.version, model.record_id)
            return model

    def clear(self) -> None:
        with self._lock:
            self.loaded, self.loaded_key, self.failed_key = None, None, None


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


def clear_model_cache() -> None:
    """Forget the loaded model and any failed load, so the next call loads afresh (tests)."""
    _cache.clear()
