"""The production process definitions in deploy/: every process restarts whatever it dies of."""

from __future__ import annotations

import configparser
import shutil
import subprocess
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
        assert command[1:3] in (["newsroom.wsgi", "--bind"], ["-A", "newsroom"])


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
