from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pytest_django import Settings

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_it_passes_the_deployment_checklist_with_production_settings() -> None:
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="x" * 20 + "a-long-random-production-secret-key-for-the-check",
        DJANGO_ALLOWED_HOSTS="news.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_refuses_to_start_in_production_without_a_secret_key() -> None:
    result = run_manage("check", DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_it_points_tests_at_their_own_redis_database(settings: Settings) -> None:
    from newsroom.celery import app

    expected = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    assert settings.REDIS_URL == expected
    assert app.conf.broker_url == expected


def test_it_bounds_the_redelivery_of_a_dead_workers_task_to_a_minute() -> None:
    from django.conf import settings

    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    scan_every = options["unacked_restore_interval"] * options["unacked_restore_throttle"]
    # Redis hands the task to another worker after the visibility timeout, at the next scan.
    assert options["visibility_timeout"] + scan_every <= 60
