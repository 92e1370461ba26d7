from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from comments import model_versions
from comments.classifier.labels import LABELS
from comments.models import ClassifierModel
from comments.services import approve_comment, reject_comment
from tests.factories import (
    make_article,
    make_classifier_model,
    make_comment,
    make_moderator,
    make_user,
)

QUICK_ROWS = "2000"  # per dataset: seconds, and both classes on both sides of the split


def train_classifier(*args: str) -> str:
    out = io.StringIO()
    call_command("train_classifier", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_it_trains_stores_and_activates_a_model(training_data_dir: Path) -> None:
    output = train_classifier("--data-dir", str(training_data_dir), "--limit", QUICK_ROWS)

    record = ClassifierModel.objects.get()
    assert (record.version, record.is_active) == (1, True)
    assert record.labels == list(LABELS)
    assert record.artifact_sha256 == hashlib.sha256(bytes(record.artifact)).hexdigest()
    for label in LABELS:
        metrics = record.metrics[label]
        assert {"roc_auc", "n_train", "n_validation"} <= set(metrics)
        assert metrics["roc_auc"] > 0.8
    assert record.data_reference["files"]["toxicity"]["rows"] == int(QUICK_ROWS)
    assert record.library_versions["scikit-learn"]
    assert record.training_seconds > 0
    for label in LABELS:
        figures = record.metrics[label]
        assert {"average_precision", "precision_at_recall_80", "brier", "reliability"} <= set(
            figures
        )
        limits = record.thresholds[label]
        assert 0 <= limits["publish"] <= limits["reject"] <= 1
        assert figures["thresholds"]["targets"] == {
            "max_harm_published": 0.01,
            "min_reject_precision": 0.99,
        }
        assert figures["thresholds"]["harm_published"] <= 0.01
    assert record.metrics["toxicity"]["base_rate"] == 0.1
    workload = record.workload
    assert workload["published"] + workload["held"] + workload["rejected"] == pytest.approx(1)
    assert "No model was active." in record.promotion_note
    fairness = record.metrics["toxicity"]["fairness"]
    assert len(fairness["terms"]) >= 40 and len(fairness["worst_terms"]) == 5
    assert 0 <= fairness["bias_score"] <= 1

    for line in [
        f"Reading training data from {training_data_dir}",
        "toxicity: jigsaw/train.csv, 2,000 rows",
        "Fitting toxicity on",
        "Fitting spam on",
        "validation ROC-AUC",
        "precision at 80% recall",
        "publish below",
        "Expected workload on",
        "Identity-term fairness on 800 templated rows (fairness/fairness.csv): bias score",
        "worst five terms (subgroup / BPSN / BNSP AUC): ",
        "MB",
        "Saved classifier v1 and activated it",
    ]:
        assert line in output

    model = model_versions.get_active_model()
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


@pytest.mark.django_db
def test_it_keeps_the_active_model_when_the_candidate_is_worse(training_data_dir: Path) -> None:
    train_classifier("--data-dir", str(training_data_dir), "--limit", QUICK_ROWS)

    output = train_classifier("--data-dir", str(training_data_dir), "--limit", "300")

    assert "Kept v1: the candidate is worse" in output
    assert "Saved classifier v2 (not activated)" in output
    candidate = ClassifierModel.objects.get(version=2)
    assert not candidate.is_active
    assert candidate.promotion_note.startswith("Kept v1: the candidate is worse")
    assert ClassifierModel.objects.active().get().version == 1


@pytest.mark.django_db
def test_it_promotes_a_candidate_that_is_not_worse(training_data_dir: Path) -> None:
    train_classifier("--data-dir", str(training_data_dir), "--limit", "300")

    output = train_classifier("--data-dir", str(training_data_dir), "--limit", QUICK_ROWS)

    assert "Comparing with the active model v1" in output
    assert "Saved classifier v2 and activated it" in output
    assert "toxicity on the validation split: ROC-AUC" in output
    assert ClassifierModel.objects.active().get().version == 2


@pytest.mark.django_db
def test_it_learns_from_moderators_decisions(training_data_dir: Path) -> None:
    moderator, article = make_moderator(), make_article()
    author = make_user("writer")
    for n in range(10):
        comment = make_comment(
            article=article, author=author, body=f"you absolute walnut number {n}", status="held"
        )
        reject_comment(comment=comment, moderator=moderator, reason="abusive")
        kind = make_comment(
            article=article, author=author, body=f"a kind word number {n}", status="held"
        )
        approve_comment(comment=kind, moderator=moderator)

    output = train_classifier("--data-dir", str(training_data_dir), "--limit", QUICK_ROWS)

    assert "toxicity: 20 moderator decisions: 16 train, 4 most recent validate" in output
    record = ClassifierModel.objects.get()
    assert record.data_reference["moderator_decisions"]["toxicity"] == {"train": 16, "recent": 4}
    assert record.data_reference["moderator_decisions"]["spam"] == {"train": 8, "recent": 2}
    assert record.metrics["toxicity"]["n_decisions_train"] == 16
    assert record.metrics["toxicity"]["decisions"]["n"] == 4
    # The decisions taught it: the moderators' own insult now scores as toxic.
    model = model_versions.get_active_model()
    assert model is not None
    assert model.score("you absolute walnut")["toxicity"] > model.score("a kind word")["toxicity"]
