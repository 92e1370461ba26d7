"""`make run`'s process definitions: every process restarted, Redis started only when needed."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts import run


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port bound but never listening: connections to it are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def options(redis_url: str = "redis://127.0.0.1:6379/0") -> run.Options:
    return run.Options(host="127.0.0.1", port=8123, redis_url=redis_url)


def test_it_restarts_every_process_and_logs_to_the_terminal() -> None:
    config = run.supervisor_config(options(), start_redis=None)

    programs = [section for section in config.sections() if section.startswith("program:")]
    assert programs == ["program:web", "program:worker", "program:beat"]
    for section in programs:
        assert config[section]["autorestart"] == "true"
        assert config[section]["stdout_logfile"] == "/dev/stdout"
        assert config[section]["killasgroup"] == "true"
    assert "--bind 127.0.0.1:8123" in config["program:web"]["command"]
    assert str(run.VAR / "celerybeat-schedule") in config["program:beat"]["command"]
    assert config["supervisord"]["nodaemon"] == "true"


def test_it_runs_a_redis_of_its_own_on_the_urls_port_with_data_in_var() -> None:
    config = run.supervisor_config(
        options("redis://127.0.0.1:6390/0"), start_redis="/usr/bin/redis-server"
    )

    redis = config["program:redis"]
    assert redis["command"].startswith("/usr/bin/redis-server --bind 127.0.0.1 --port 6390 ")
    assert f"--dir {run.VAR / 'redis'}" in redis["command"]
    assert int(redis["priority"]) < int(config["program:worker"]["priority"])


def test_it_says_in_one_line_when_no_redis_can_be_had(
    closed_port: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{closed_port}/0")
    monkeypatch.setenv("PATH", "/nonexistent")  # no redis-server to start

    assert run.main(["--check"]) == 1

    message = capsys.readouterr().err.strip()
    assert message.startswith(f"No Redis answers at redis://127.0.0.1:{closed_port}/0 (")
    assert "apt-get install redis-server" in message
    assert "\n" not in message


def test_it_never_starts_a_redis_for_another_machines_url(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Port 9 on a TEST-NET-1 address: nothing answers, and it is not this machine's to start.
    monkeypatch.setenv("REDIS_URL", "redis://192.0.2.1:9/0")
    monkeypatch.setattr(run, "redis_answers", lambda url: "Connection refused.")

    assert run.main(["--check"]) == 1
    assert "No Redis answers at redis://192.0.2.1:9/0" in capsys.readouterr().err


def test_it_accepts_a_local_url_it_can_start_a_redis_for(
    closed_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{closed_port}/0")
    monkeypatch.setattr(run.shutil, "which", lambda name: f"/usr/bin/{name}")

    assert run.main(["--check"]) == 0


def test_it_makes_var_for_beat_and_supervisord_whatever_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # var/ used to be created by the settings for SQLite only: with a PostgreSQL DATABASE_URL,
    # beat died on var/celerybeat-schedule and took the site down with it.
    var = tmp_path / "var"
    monkeypatch.setattr(run, "VAR", var)
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/newsroom")
    monkeypatch.setattr(run, "redis_answers", lambda url: None)
    started: list[list[str]] = []
    monkeypatch.setattr(run.os, "execv", lambda path, argv: started.append(argv))

    run.main([])

    assert (var / "log").is_dir()
    config = (var / "supervisord.conf").read_text()
    assert f"--schedule {var / 'celerybeat-schedule'}" in config
    assert started and started[0][-1] == str(var / "supervisord.conf")
