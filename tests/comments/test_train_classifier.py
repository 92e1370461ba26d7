from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from comments import classifier
from comments.models import ClassifierModel
from comments.services import activate_classifier

QUICK_ROWS = "2000"  # per dataset: seconds, and both classes on both sides of the split


@pytest.fixture(autouse=True)
def fresh_model_cache() -> Iterator[None]:
    classifier.clear_model_cache()
    yield
    classifier.clear_model_cache()


def make_classifier_model(*, version: int, active: bool = False) -> ClassifierModel:
    artifact = b"stand-in bytes: never loaded by these tests"
    record = ClassifierModel.objects.create(
        version=version,
        labels=list(classifier.LABELS),
        artifact=artifact,
        artifact_sha256=hashlib.sha256(artifact).hexdigest(),
    )
    if active:
        activate_classifier(classifier_model=record)
    return record


def train_classifier(*args: str) -> str:
    out = io.StringIO()
    call_command("train_classifier", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_it_trains_stores_and_activates_a_model(training_data_dir: Path) -> None:
    output = train_classifier("--data-dir", str(training_data_dir), "--limit", QUICK_ROWS)

    record = ClassifierModel.objects.get()
    assert (record.version, record.is_active) == (1, True)
    assert record.labels == list(classifier.LABELS)
    assert record.artifact_sha256 == hashlib.sha256(bytes(record.artifact)).hexdigest()
    for label in classifier.LABELS:
        metrics = record.metrics[label]
        assert {"roc_auc", "n_train", "n_validation"} <= set(metrics)
        assert metrics["roc_auc"] > 0.8
    assert record.data_reference["files"]["toxicity"]["rows"] == int(QUICK_ROWS)
    assert record.library_versions["scikit-learn"]
    assert record.training_seconds > 0

    for line in [
        f"Reading training data from {training_data_dir}",
        "toxicity: jigsaw/train.csv, 2,000 rows",
        "Fitting toxicity on",
        "Fitting spam on",
        "validation ROC-AUC",
        "MB",
        "Saved classifier v1 and activated it",
    ]:
        assert line in output

    model = classifier.get_active_model()
    assert model is not None and model.version == 1


@pytest.mark.django_db
def test_it_stores_the_next_version_without_activating_it(training_data_dir: Path) -> None:
    current = make_classifier_model(version=3, active=True)

    output = train_classifier(
        "--data-dir", str(training_data_dir), "--limit", QUICK_ROWS, "--no-activate"
    )

    assert "Saved classifier v4 (not activated)" in output
    assert ClassifierModel.objects.get(version=4).is_active is False
    assert ClassifierModel.objects.active().get() == current


@pytest.mark.django_db
def test_it_does_nothing_when_a_model_is_active_with_if_none_active(tmp_path: Path) -> None:
    make_classifier_model(version=1, active=True)

    # A data directory that does not exist proves no training was even attempted.
    output = train_classifier("--if-none-active", "--data-dir", str(tmp_path / "nowhere"))

    assert "v1 is already active; nothing to do" in output
    assert ClassifierModel.objects.count() == 1


def test_it_names_a_missing_data_directory(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"

    with pytest.raises(CommandError, match=f"{missing} does not exist"):
        train_classifier("--data-dir", str(missing))


@pytest.mark.django_db
def test_it_names_the_columns_a_dataset_lacks(tmp_path: Path) -> None:
    csv_path = tmp_path / "jigsaw" / "train.csv"
    csv_path.parent.mkdir()
    csv_path.write_text("id,comment_text,toxic\nabc,hello there,0\n", encoding="utf-8")

    with pytest.raises(CommandError) as error:
        train_classifier("--data-dir", str(tmp_path))

    message = str(error.value)
    assert str(csv_path) in message
    assert "severe_toxic, obscene, threat, insult, identity_hate" in message


@pytest.mark.django_db
def test_it_refuses_a_slice_too_small_to_hold_both_classes(training_data_dir: Path) -> None:
    with pytest.raises(CommandError, match="does not hold both classes"):
        train_classifier("--data-dir", str(training_data_dir), "--limit", "3")
