from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from pytest_django import Settings

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_SECRET = "x" * 20 + "a-long-random-production-secret-key-for-the-check"


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
        DJANGO_SECRET_KEY=PRODUCTION_SECRET,
        DJANGO_ALLOWED_HOSTS="news.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_refuses_to_start_in_production_without_a_secret_key() -> None:
    result = run_manage("check", DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_it_runs_in_production_mode_when_djangodebug_is_unset() -> None:
    # A deploy that forgets DJANGO_DEBUG must neither show tracebacks nor sign with the dev key.
    refused = run_manage("check")
    assert refused.returncode != 0
    last_line = refused.stderr.strip().splitlines()[-1]
    assert last_line.endswith(
        "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off (the default); "
        "for development, set DJANGO_DEBUG=1."
    )
    show_debug = "from django.conf import settings; print(settings.DEBUG)"
    result = run_manage("shell", "-c", show_debug, DJANGO_SECRET_KEY=PRODUCTION_SECRET)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_it_keeps_static_urls_working_whatever_mode_collectstatic_ran_in(tmp_path: Path) -> None:
    production = {"DJANGO_SECRET_KEY": PRODUCTION_SECRET, "DJANGO_STATIC_ROOT": str(tmp_path)}
    show_url = "from django.templatetags.static import static; print(static('css/site.css'))"

    def static_url() -> str:
        result = run_manage("shell", "-c", show_url, **production)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip().splitlines()[-1]

    # Before any collectstatic: the plain URL and a warning, not a 500 on every page.
    assert static_url() == "/static/css/site.css"
    # collectstatic run in development still writes the manifest production reads.
    collected = run_manage("collectstatic", "--noinput", DJANGO_DEBUG="1", **production)
    assert collected.returncode == 0, collected.stderr
    assert (tmp_path / "staticfiles.json").is_file()
    assert re.fullmatch(r"/static/css/site\.[0-9a-f]{12}\.css", static_url())


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
