"""The cast of the integrations' tests: a real trained model, a key, Coral's signing secret."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from pytest_django import Settings

from comments import model_versions
from comments.models import ClassifierModel
from integrations.models import ApiKey
from integrations.services import create_api_key
from tests.factories import make_classifier_model

CORAL_SECRET = "ssc_3a4bd2c6-coral-signing-secret"


@pytest.fixture(autouse=True)
def fresh_caches() -> Iterator[None]:
    """Each test loads the model afresh and counts its requests from zero."""
    model_versions.clear_model_cache()
    cache.clear()
    yield
    model_versions.clear_model_cache()
    cache.clear()


@pytest.fixture
def active_model(db: None, artifact: bytes) -> ClassifierModel:
    """The session's real trained model, stored and active, as a worker would load it."""
    return make_classifier_model(artifact=artifact, active=True)


@pytest.fixture
def coral_key(db: None) -> tuple[ApiKey, str]:
    """The key Coral's tenant was given: (the row, the raw key)."""
    return create_api_key(name="coral")


@pytest.fixture
def coral_secret(settings: Settings) -> str:
    settings.CORAL_SIGNING_SECRETS = [CORAL_SECRET]
    return CORAL_SECRET
