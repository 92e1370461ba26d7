"""/healthz, /metrics and the moderation queue say what a real worker scores with (issue 10).

The incident: with the stored artifact corrupted, a fresh worker logged ArtifactError and held
every comment "unscored", while /healthz said "ok, model v1" from the database row alone.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client

from comments.models import ClassifierModel
from tests.workers import CeleryWorker

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

HEARTBEAT_TIMEOUT = 30.0


def healthz_until(client: Client, status: str) -> Any:
    """Poll /healthz until it reports `status` (the worker beats every second), or fail."""
    deadline = time.monotonic() + HEARTBEAT_TIMEOUT
    while True:
        response = client.get("/healthz")
        if response.json()["status"] == status:
            return response
        if time.monotonic() > deadline:
            pytest.fail(f"/healthz never said {status!r}: {response.json()}", pytrace=False)
        time.sleep(0.2)


def test_it_reports_a_worker_that_cannot_load_the_active_model(
    client: Client, moderator_client: Client, celery_worker: CeleryWorker, active_classifier: Any
) -> None:
    healthy = healthz_until(client, "ok").json()
    assert healthy["scoring"]["model_versions"] == [active_classifier.version]

    # Corrupt the stored artifact: it no longer matches its sha256.
    ClassifierModel.objects.filter(pk=active_classifier.pk).update(artifact=b"corrupt")
    ClassifierModel.objects.filter(pk=active_classifier.pk).update(
        artifact_sha256="0" * 64, is_active=True
    )

    response = healthz_until(client, "degraded")
    assert response.status_code == 200
    body = response.json()
    assert body["model"]["version"] == active_classifier.version  # what the database says
    assert "ArtifactError" in body["scoring"]["problems"][0]  # and what the worker says
    metrics = client.get("/metrics").content.decode()
    assert "newsroom_scoring_degraded 1" in metrics
    assert "newsroom_worker_model_error{" in metrics and "} 1" in metrics
    queue = moderator_client.get("/moderation/").content.decode()
    assert "Scoring is degraded." in queue
    assert f"Scoring with model v{active_classifier.version}" not in queue
