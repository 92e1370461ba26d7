"""Fixtures shared by every test package: the moderator cast, and one trained model per session."""

from __future__ import annotations

import os
from pathlib import Path
from time import time
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from pytest_django import Settings

from comments.classifier.artifact import serialize
from comments.classifier.training import TrainedModel, train
from tests.factories import make_moderator

TRAINING_ROWS = 3000  # per dataset: all of the ~1.5k spam rows, a slice of the toxicity ones


def require_service(name: str, available: bool, how: str = "") -> None:
    """Fail under CI=true when a real service is missing; elsewhere skip with the reason."""
    if available:
        return
    message = f"{name} is not available" + (f": {how}" if how else "")
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (CI=true: tests needing it must run, not skip)", pytrace=False)
    pytest.skip(message)


class Heartbeats:
    """The workers' heartbeats as the web reads them (`tasks.live_heartbeats`), set by a test."""

    def __init__(self) -> None:
        self.live: list[Any] = []

    def beat(self, *, model_version: int | None, model_error: str = "", worker: str = "w1") -> None:
        from comments.tasks import Heartbeat

        self.live.append(Heartbeat(f"celery@{worker}", 4242, model_version, model_error, time()))


@pytest.fixture
def heartbeats(monkeypatch: pytest.MonkeyPatch) -> Heartbeats:
    """No live worker until the test says `heartbeats.beat(...)`; no Redis involved."""
    from comments import tasks

    fake = Heartbeats()
    monkeypatch.setattr(tasks, "live_heartbeats", lambda: list(fake.live))
    return fake


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Settings) -> None:
    # PBKDF2's deliberate slowness is for production logins, not for creating test users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def nudge_only_where_asked(request: pytest.FixtureRequest, settings: Settings) -> None:
    # The session's small model (TRAINING_ROWS) would hold many harmless drafts, so with it
    # active every test that posts would meet the nudge instead of saving its comment. The
    # nudge's own tests ask for it: `@pytest.mark.nudge`.
    settings.COMMENT_NUDGE_ENABLED = request.node.get_closest_marker("nudge") is not None


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    # Throttle counters are keyed by user id and IP: one test's must not slow the next.
    cache.clear()


@pytest.fixture
def moderator(db: None) -> Any:
    """Mona, a member of the Moderators group."""
    return make_moderator()


@pytest.fixture
def moderator_client(client: Client, moderator: Any) -> Client:
    """A client signed in as the moderator."""
    client.force_login(moderator)
    return client


@pytest.fixture(scope="session")
def training_data_dir() -> Path:
    """The labelled datasets that ship in the repository's data/ (a test fails without them)."""
    return Path(settings.TRAINING_DATA_DIR)


@pytest.fixture(scope="session")
def trained(training_data_dir: Path) -> TrainedModel:
    # One real model for the whole session, in memory: a few seconds, no database.
    return train(data_dir=training_data_dir, limit=TRAINING_ROWS)


@pytest.fixture(scope="session")
def artifact(trained: TrainedModel) -> bytes:
    return serialize(trained.pipelines)
