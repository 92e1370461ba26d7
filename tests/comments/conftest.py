from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from comments import classifier
from tests.conftest import require_service


@pytest.fixture(scope="session")
def training_data_dir() -> Path:
    """The labelled datasets: required under CI, skipped without them elsewhere."""
    data_dir = Path(settings.TRAINING_DATA_DIR)
    present = all((data_dir / source.path).is_file() for source in classifier.SOURCES)
    require_service("training data", present, f"expected the datasets under {data_dir}")
    return data_dir
