from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from comments.classifier import metrics
from comments.classifier.data import read_labelled_csv
from comments.classifier.training import TrainedModel
from comments.model_versions import model_from_record, save_classifier_version
from comments.models import ClassifierModel

JIGSAW_HEADER = ["id", "comment_text", "toxic", "severe_toxic", "obscene", "threat", "insult"]
JIGSAW_HEADER += ["identity_hate"]
YOUTUBE_HEADER = ["COMMENT_ID", "AUTHOR", "DATE", "CONTENT", "CLASS"]


@pytest.fixture
def stored_classifier(trained: TrainedModel, artifact: bytes, db: None) -> ClassifierModel:
    return save_classifier_version(trained=trained, artifact=artifact, activate=True)


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def jigsaw_rows() -> list[list[str]]:
    hostile = ["you stupid idiot", "shut up you moron", "what a pathetic loser you are"]
    civil = ["thanks for the sources", "I disagree with the second paragraph", "good article"]
    rows = [[f"h{n}", text, "1", "0", "0", "0", "1", "0"] for n, text in enumerate(hostile)]
    return rows + [[f"c{n}", text, "0", "0", "0", "0", "0", "0"] for n, text in enumerate(civil)]


def evaluate_classifier(*args: str) -> str:
    out = io.StringIO()
    call_command("evaluate_classifier", *args, stdout=out)
    return out.getvalue()


def test_it_prints_the_five_figures_as_json(
    stored_classifier: ClassifierModel, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "jigsaw.csv", JIGSAW_HEADER, jigsaw_rows())

    printed = json.loads(evaluate_classifier(str(path), "--label", "toxicity", "--json"))

    model = model_from_record(stored_classifier)
    rows = read_labelled_csv(path, label="toxicity")
    expected = metrics.evaluate(
        rows.targets, model.score_many(rows.texts)["toxicity"], base_rate=0.1
    )
    assert printed == pytest.approx(expected.headline())
    assert set(printed) == {"roc_auc", "average_precision", "precision_at_recall_80", "brier", "n"}
    assert printed["n"] == 6


def test_it_prints_figures_and_a_reliability_curve_for_people(
    stored_classifier: ClassifierModel, tmp_path: Path
) -> None:
    rows = [["s1", "a", "d", "check out my channel and subscribe", "1"]]
    rows += [["s2", "a", "d", "subscribe to my channel for free gift cards", "1"]]
    rows += [["h1", "a", "d", "this song is beautiful", "0"], ["h2", "a", "d", "love it", "0"]]
    path = write_csv(tmp_path / "youtube.csv", YOUTUBE_HEADER, rows)

    printed = evaluate_classifier(str(path), "--label", "spam")

    assert f"spam scored by classifier v{stored_classifier.version}" in printed
    for figure in ("ROC-AUC", "average precision", "precision at 80% recall", "Brier score"):
        assert figure in printed
    assert "rows                        4 (2 positive)" in printed
    assert "reliability" in printed


def test_it_names_the_columns_a_csv_lacks(
    stored_classifier: ClassifierModel, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "youtube.csv", YOUTUBE_HEADER, [["s1", "a", "d", "hi", "1"]])

    with pytest.raises(CommandError, match=r"lacks column\(s\) id, comment_text, toxic"):
        evaluate_classifier(str(path), "--label", "toxicity")


def test_it_names_a_row_with_a_bad_label(
    stored_classifier: ClassifierModel, tmp_path: Path
) -> None:
    rows = [*jigsaw_rows(), ["bad1", "text", "yes", "0", "0", "0", "0", "0"]]
    path = write_csv(tmp_path / "jigsaw.csv", JIGSAW_HEADER, rows)

    with pytest.raises(CommandError, match="'bad1' has a label other than 0/1"):
        evaluate_classifier(str(path), "--label", "toxicity")


def test_it_refuses_a_file_with_one_class(
    stored_classifier: ClassifierModel, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "jigsaw.csv", JIGSAW_HEADER, jigsaw_rows()[:3])

    with pytest.raises(CommandError, match="need both positive and negative rows"):
        evaluate_classifier(str(path), "--label", "toxicity")


def test_it_refuses_a_missing_file(stored_classifier: ClassifierModel, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="does not exist"):
        evaluate_classifier(str(tmp_path / "nowhere.csv"), "--label", "toxicity")


@pytest.mark.django_db
def test_it_says_when_no_model_is_active(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "jigsaw.csv", JIGSAW_HEADER, jigsaw_rows())

    with pytest.raises(CommandError, match="No classifier is active"):
        evaluate_classifier(str(path), "--label", "toxicity")


def test_it_names_an_unknown_version(stored_classifier: ClassifierModel, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "jigsaw.csv", JIGSAW_HEADER, jigsaw_rows())

    with pytest.raises(CommandError, match="There is no classifier v99"):
        evaluate_classifier(str(path), "--label", "toxicity", "--model-version", "99")
