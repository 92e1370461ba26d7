from __future__ import annotations

import csv
import gzip
import io
import itertools
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from articles.models import Article
from comments.classifier.data import SOURCES
from comments.models import ClassifierModel

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def small_data_dir(tmp_path: Path) -> Path:
    """The shipped datasets cut to their first 1,600 rows, still gzip-compressed."""
    for source in SOURCES:
        target = tmp_path / f"{source.path}.gz"
        target.parent.mkdir(parents=True, exist_ok=True)
        with (
            gzip.open(ROOT / "data" / f"{source.path}.gz", "rt", newline="") as full,
            gzip.open(target, "wt", newline="") as cut,
        ):
            # By CSV record, not by line: comments span lines.
            csv.writer(cut).writerows(itertools.islice(csv.reader(full), 1600))
    return tmp_path


def setup_site() -> str:
    out = io.StringIO()
    call_command("setup_site", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_it_loads_the_demo_and_trains_the_first_model_in_one_command(
    small_data_dir: Path,
) -> None:
    with override_settings(TRAINING_DATA_DIR=small_data_dir, DEBUG=True):
        output = setup_site()

    assert Article.objects.filter(title__startswith="U.S and UK send troops").exists()
    assert "demo reader: reader / reader-dev-pass" in output
    assert "No classifier is active yet: training the first one." in output
    assert "toxicity [####################] 100%  done" in output
    assert ClassifierModel.objects.active().get().version == 1


@pytest.mark.django_db
def test_it_does_not_train_again_once_a_model_is_active(small_data_dir: Path) -> None:
    with override_settings(TRAINING_DATA_DIR=small_data_dir, DEBUG=True):
        setup_site()
        output = setup_site()

    assert "Classifier v1 is active." in output
    assert "Reading training data" not in output
    assert ClassifierModel.objects.count() == 1
