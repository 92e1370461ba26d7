"""The training data ships with the project: read from data/, compressed, with nothing beside it."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from comments.classifier import data
from comments.classifier.data import SOURCE_BY_LABEL, TrainingDataError, read_examples

ROOT = Path(__file__).resolve().parents[2]


def test_it_defaults_to_the_repositorys_own_data_directory() -> None:
    # In a fresh interpreter with no TRAINING_DATA_DIR: what a bare clone's settings say.
    env = {key: value for key, value in os.environ.items() if key != "TRAINING_DATA_DIR"}
    printed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.TRAINING_DATA_DIR)",
        ],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "newsroom.settings"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()

    assert Path(printed) == ROOT / "data"


@pytest.mark.parametrize(("label", "rows", "positives"), [("toxicity", 26340, 6753)])
def test_it_builds_the_training_set_from_the_shipped_files(
    label: str, rows: int, positives: int
) -> None:
    examples = read_examples(SOURCE_BY_LABEL[label], data_dir=ROOT / "data")

    assert len(examples.texts) == rows
    assert int(examples.targets.sum()) == positives
    assert examples.n_train + examples.n_validation == rows


def test_it_borrows_negatives_across_the_shipped_files() -> None:
    examples = read_examples(SOURCE_BY_LABEL["spam"], data_dir=ROOT / "data")

    assert int(examples.own.sum()) == 1563  # every YouTube row, 799 of them spam
    assert int(examples.targets[examples.own].sum()) == 799
    assert int((~examples.own).sum()) == 6000
    assert not examples.targets[~examples.own].any()


def test_the_shipped_files_are_compressed_and_documented() -> None:
    for source in data.SOURCES:
        stored = ROOT / "data" / f"{source.path}.gz"
        assert stored.is_file(), stored
        assert not (ROOT / "data" / source.path).exists()
        readme = (stored.parent / "README.md").read_text(encoding="utf-8")
        for must in ("Content warning", "licen", "Columns", "sha256"):
            assert must.lower() in readme.lower(), (stored.parent, must)


def test_the_gzip_reader_gives_the_same_rows_as_the_plain_csv(tmp_path: Path) -> None:
    plain_dir, gzip_dir = tmp_path / "plain", tmp_path / "gzip"
    for source in data.SOURCES:
        stored = ROOT / "data" / f"{source.path}.gz"
        for target_dir in (plain_dir, gzip_dir):
            (target_dir / source.path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(stored, gzip_dir / f"{source.path}.gz")
        with gzip.open(stored, "rb") as packed, (plain_dir / source.path).open("wb") as out:
            shutil.copyfileobj(packed, out)

    for source in data.SOURCES:
        from_plain = read_examples(source, data_dir=plain_dir)
        from_gzip = read_examples(source, data_dir=gzip_dir)
        assert from_plain.texts == from_gzip.texts
        assert (from_plain.targets == from_gzip.targets).all()
        assert (from_plain.validation == from_gzip.validation).all()
        # The reference names the rows, not how they were stored.
        assert from_plain.file_sha256 == from_gzip.file_sha256
        assert from_plain.borrowed_sha256 == from_gzip.borrowed_sha256


def test_it_names_both_forms_when_a_file_is_missing(tmp_path: Path) -> None:
    with pytest.raises(TrainingDataError, match=r"jigsaw/train\.csv\[\.gz\] does not exist"):
        read_examples(SOURCE_BY_LABEL["toxicity"], data_dir=tmp_path)


def test_it_refuses_a_corrupt_gzip_file_for_evaluation(tmp_path: Path) -> None:
    broken = tmp_path / "held-out.csv.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00not really gzip")

    with pytest.raises(TrainingDataError, match="is not a gzip-compressed UTF-8 CSV file"):
        data.read_labelled_csv(broken, label="toxicity")


def test_it_evaluates_a_gzip_file_like_the_plain_one(tmp_path: Path) -> None:
    plain = tmp_path / "spam.csv"
    with gzip.open(ROOT / "data" / "youtube_spam" / "train.csv.gz", "rb") as packed:
        plain.write_bytes(packed.read())
    packed_copy = tmp_path / "spam.csv.gz"
    shutil.copy(ROOT / "data" / "youtube_spam" / "train.csv.gz", packed_copy)

    from_plain = data.read_labelled_csv(plain, label="spam")
    from_gzip = data.read_labelled_csv(packed_copy, label="spam")

    assert from_plain.texts == from_gzip.texts
    assert (from_plain.targets == from_gzip.targets).all()


def test_it_refuses_a_corrupt_gzip_training_file(tmp_path: Path) -> None:
    broken = tmp_path / "jigsaw" / "train.csv.gz"
    broken.parent.mkdir()
    broken.write_bytes(gzip.compress(b"id,comment_text\n")[:-12] + b"\x00" * 12)

    with pytest.raises(TrainingDataError, match="is not a gzip-compressed"):
        read_examples(SOURCE_BY_LABEL["toxicity"], data_dir=tmp_path)


def test_it_reads_the_news_register_for_toxicity_training_only() -> None:
    examples = read_examples(SOURCE_BY_LABEL["toxicity"], data_dir=ROOT / "data")

    # Beside Jigsaw's rows, never among them: the validation split stays Jigsaw's own.
    assert len(examples.texts) == 26340
    assert len(examples.supplement_texts) == 719
    assert "Backbenchers want to kill the bill before it reaches a vote." in (
        examples.supplement_texts
    )
    assert len(examples.supplement_sha256) == 64
    assert read_examples(SOURCE_BY_LABEL["spam"], data_dir=ROOT / "data").supplement_texts == []


def test_it_trains_without_the_supplement_where_the_data_directory_has_none(
    tmp_path: Path,
) -> None:
    (tmp_path / "jigsaw").mkdir()
    shutil.copy(ROOT / "data" / "jigsaw" / "train.csv.gz", tmp_path / "jigsaw")

    examples = read_examples(SOURCE_BY_LABEL["toxicity"], data_dir=tmp_path, limit=500)

    assert examples.supplement_texts == []
    assert examples.supplement_sha256 == ""


def test_it_refuses_a_supplement_without_its_text_column(tmp_path: Path) -> None:
    (tmp_path / "jigsaw").mkdir()
    shutil.copy(ROOT / "data" / "jigsaw" / "train.csv.gz", tmp_path / "jigsaw")
    (tmp_path / "news_register").mkdir()
    (tmp_path / "news_register" / "news_register.csv").write_text("id,body\nx,hello\n")

    with pytest.raises(TrainingDataError, match="lacks the column text"):
        read_examples(SOURCE_BY_LABEL["toxicity"], data_dir=tmp_path, limit=500)
