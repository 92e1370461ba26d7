from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from comments import classifier
from tests.factories import make_moderator


@pytest.fixture(scope="session")
def training_data_dir() -> Path:
    """The labelled datasets that ship in the repository's data/ (a test fails without them)."""
    return Path(settings.TRAINING_DATA_DIR)


TRAINING_ROWS = 3000  # per dataset: all of the ~1.5k spam rows, a slice of the toxicity ones


@pytest.fixture(scope="session")
def trained(training_data_dir: Path) -> classifier.TrainedModel:
    # One real model for the whole session, in memory: a few seconds, no database.
    return classifier.train(data_dir=training_data_dir, limit=TRAINING_ROWS)


@pytest.fixture(scope="session")
def artifact(trained: classifier.TrainedModel) -> bytes:
    return classifier.serialize(trained.pipelines)


@pytest.fixture
def moderator_client(client: Client) -> Client:
    """A client signed in as a member of the Moderators group."""
    client.force_login(make_moderator())
    return client
