"""The production process definitions in deploy/: every process restarts whatever it dies of."""

from __future__ import annotations

import configparser
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"
SERVICES = ["newsroom-web.service", "newsroom-worker.service", "newsroom-beat.service"]


class UnitFile(configparser.ConfigParser):
    def optionxform(self, optionstr: str) -> str:
        return optionstr  # systemd's keys are case-sensitive


def unit(name: str) -> configparser.ConfigParser:
    parser = UnitFile(interpolation=None, strict=False)
    parser.read(UNITS / name)
    return parser


@pytest.mark.parametrize("name", SERVICES)
def test_each_process_always_comes_back(name: str) -> None:
    service = unit(name)

    assert service["Service"]["Restart"] == "always"
    assert service["Unit"]["StartLimitIntervalSec"] == "0"
    assert service["Service"]["EnvironmentFile"] == "/etc/newsroom/env"
    assert service["Unit"]["PartOf"] == "newsroom.target"


def test_the_target_starts_every_service() -> None:
    assert unit("newsroom.target")["Unit"]["Wants"].split() == SERVICES


def test_the_units_run_this_projects_own_commands(tmp_path: Path) -> None:
    # With /srv/newsroom read as this checkout, every ExecStart names a program in its .venv.
    for name in SERVICES:
        command = unit(name)["Service"]["ExecStart"].split()
        program = Path(command[0].replace("/srv/newsroom", str(ROOT)))
        assert program.parent == ROOT / ".venv" / "bin"
        assert program.is_file(), program
        assert command[1:3] in (["newsroom.wsgi", "--config"], ["-A", "newsroom"])


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    for name in [*SERVICES, "newsroom.target"]:
        text = (UNITS / name).read_text().replace("/srv/newsroom", str(ROOT))
        (tmp_path / name).write_text(text)
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *sorted(tmp_path.iterdir())],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", done.stderr


def test_gunicorns_access_log_leaves_out_query_strings(tmp_path: Path) -> None:
    # The Perspective-compatible API takes its key as ?key=: a real gunicorn, with the config
    # that make run and the systemd unit use, must log the path and never the key.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "gunicorn"),
                "newsroom.wsgi",
                "--config",
                str(ROOT / "deploy" / "gunicorn.conf.py"),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
            ],
            cwd=ROOT,
            env={**os.environ, "DJANGO_DEBUG": "1"},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while "GET /favicon.ico HTTP" not in log.read_text():
            assert time.monotonic() < deadline, log.read_text()
            assert server.poll() is None, log.read_text()
            try:
                urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/favicon.ico?key=nk_secret_value", timeout=5
                )
            except OSError:
                time.sleep(0.2)  # not listening yet
    finally:
        server.terminate()
        server.wait(timeout=30)

    assert "nk_secret_value" not in log.read_text()
