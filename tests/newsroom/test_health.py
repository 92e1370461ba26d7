from __future__ import annotations

import pytest
import redis
from django.conf import settings
from django.test import Client
from pytest_django import Settings

from comments.models import ClassifierModel
from tests.conftest import Heartbeats, require_service
from tests.factories import make_article, make_comment, make_user

pytestmark = pytest.mark.django_db


def redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def test_it_reports_every_dependency_healthy(client: Client, heartbeats: Heartbeats) -> None:
    require_service("Redis", redis_answers(), settings.REDIS_URL)
    ClassifierModel.objects.create(version=2, artifact=b"", artifact_sha256="0", is_active=True)
    heartbeats.beat(model_version=2)
    make_comment(article=make_article(), author=make_user())
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["database"] == "ok" and body["broker"] == "ok"
    assert body["model"]["version"] == 2
    assert body["pending_comments"] == 1
    assert body["scoring"]["workers_alive"] == 1
    assert body["scoring"]["model_versions"] == [2]
    assert body["scoring"]["workers"][0]["model_error"] == ""


def test_it_degrades_when_a_worker_cannot_load_the_active_model(
    client: Client, heartbeats: Heartbeats
) -> None:
    require_service("Redis", redis_answers(), settings.REDIS_URL)
    ClassifierModel.objects.create(version=1, artifact=b"", artifact_sha256="0", is_active=True)
    heartbeats.beat(model_version=None, model_error="classifier v1: ArtifactError: bad sha256")
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert body["scoring"]["model_versions"] == []
    assert "ArtifactError" in body["scoring"]["problems"][0]


def test_it_degrades_when_a_worker_scores_with_another_version(
    client: Client, heartbeats: Heartbeats
) -> None:
    require_service("Redis", redis_answers(), settings.REDIS_URL)
    ClassifierModel.objects.create(version=2, artifact=b"", artifact_sha256="0", is_active=True)
    heartbeats.beat(model_version=2, worker="a")
    heartbeats.beat(model_version=1, worker="b")
    body = client.get("/healthz").json()
    assert body["status"] == "degraded"
    assert body["scoring"]["problems"] == ["celery@b scores with v1, not the active v2"]


def test_it_answers_503_when_no_worker_is_alive(client: Client, heartbeats: Heartbeats) -> None:
    require_service("Redis", redis_answers(), settings.REDIS_URL)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert "no scoring worker is alive" in response.json()["scoring"]["problems"][0]


def test_it_says_when_no_model_is_active(client: Client) -> None:
    require_service("Redis", redis_answers(), settings.REDIS_URL)
    assert "none active" in client.get("/healthz").json()["model"]


def test_it_answers_503_when_the_broker_is_down(client: Client, settings: Settings) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"].startswith("error")
    assert response.json()["status"] == "unavailable"


def test_it_answers_503_when_the_database_is_down(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsroom import views

    monkeypatch.setattr(views, "_check_database", lambda: "error: OperationalError")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "error: OperationalError"
    assert response.json()["model"] is None


def test_it_exposes_metrics_for_prometheus(client: Client, heartbeats: Heartbeats) -> None:
    article, author = make_article(), make_user()
    make_comment(article=article, author=author, status="held")
    make_comment(article=article, author=author, status="published")
    ClassifierModel.objects.create(version=4, artifact=b"", artifact_sha256="0", is_active=True)
    heartbeats.beat(model_version=4)
    text = client.get("/metrics").content.decode()
    assert 'newsroom_comments{status="held"} 1' in text
    assert 'newsroom_comments{status="rejected"} 0' in text
    assert "newsroom_active_model_version 4" in text
    assert 'newsroom_oldest_waiting_seconds{status="held"}' in text
    assert "newsroom_workers_alive 1" in text
    assert "newsroom_scoring_degraded 0" in text
    assert 'newsroom_worker_model_version{worker="celery@w1"} 4' in text
    assert 'newsroom_worker_model_error{worker="celery@w1"} 0' in text


def test_its_metrics_say_when_workers_cannot_load_the_model(
    client: Client, heartbeats: Heartbeats
) -> None:
    ClassifierModel.objects.create(version=1, artifact=b"", artifact_sha256="0", is_active=True)
    heartbeats.beat(model_version=None, model_error="classifier v1: ArtifactError")
    text = client.get("/metrics").content.decode()
    assert "newsroom_active_model_version 1" in text
    assert "newsroom_scoring_degraded 1" in text
    assert 'newsroom_worker_model_version{worker="celery@w1"} 0' in text
    assert 'newsroom_worker_model_error{worker="celery@w1"} 1' in text
