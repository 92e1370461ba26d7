"""Print how long Redis takes to hand a dead worker's task to another worker: `make bench`.

A consumer with the workers' own broker settings takes a scoring task and holds it
unacknowledged, as a worker does while it scores (acks_late); it is then killed with SIGKILL,
so nothing is restored on the way out. A real Celery worker, already running, receives the
task once the visibility timeout has passed and its periodic scan finds it. The timeout counts
from the delivery, so the figure that bounds a comment's delay is the one since the delivery.

Runs against a Redis server of its own (Debian's redis-server, on a free port) and a throwaway
SQLite database; prints the figures, asserts nothing.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TIMEOUT = 240.0

HOLD = """
import time, django
django.setup()
from newsroom.celery import app
with app.connection_for_read() as connection:
    message = connection.SimpleQueue("celery").get(timeout=30)
    print("held", flush=True)
    time.sleep(3600)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_line(process: subprocess.Popen[str], needle: str, deadline: float) -> float:
    """Read `process`'s output until a line contains `needle`; return when it arrived."""
    assert process.stdout is not None
    for line in process.stdout:
        if needle in line:
            return time.monotonic()
        if time.monotonic() > deadline:
            break
    raise SystemExit(f"gave up waiting for {needle!r}")


def main() -> None:
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        print("redelivery after kill -9: skipped (no redis-server installed)")
        return
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="newsroom-redelivery-") as tmp:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "newsroom.settings",
            "REDIS_URL": f"redis://127.0.0.1:{port}/0",
            "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
            "PYTHONUNBUFFERED": "1",
        }
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        processes: list[subprocess.Popen[str]] = []
        server = subprocess.Popen(  # noqa: S603 (Debian's redis-server)
            [redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", ""], **quiet
        )
        try:
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
            )
            # Publish one scoring task the way the site does.
            subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "import django; django.setup(); from comments.tasks import score_comment;"
                    " score_comment.apply_async(args=(1,), retry=False)",
                ],
                cwd=ROOT,
                env=env,
                check=True,
            )
            deadline = time.monotonic() + TIMEOUT
            holder = subprocess.Popen(  # noqa: S603 (our own interpreter)
                [sys.executable, "-c", HOLD],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                text=True,
                start_new_session=True,
            )
            processes.append(holder)
            delivered = wait_for_line(holder, "held", deadline)
            worker = subprocess.Popen(  # noqa: S603 (our own celery)
                [
                    *(str(BIN / "celery"), "-A", "newsroom", "worker", "-l", "INFO"),
                    *("--concurrency", "1", "-n", "bench-redelivery@%h"),
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,
            )
            processes.append(worker)
            wait_for_line(worker, " ready.", deadline)
            holder.send_signal(signal.SIGKILL)
            killed = time.monotonic()
            received = wait_for_line(worker, "comments.tasks.score_comment[", deadline)
        finally:
            for process in processes:
                process.kill()
                process.wait(timeout=30)
            server.terminate()
            server.wait(timeout=30)
    print(
        f"redelivery after kill -9:     {received - killed:5.1f} s after the kill, "
        f"{received - delivered:5.1f} s after the delivery (bound: visibility timeout "
        "+ scan interval, settings.py)"
    )


if __name__ == "__main__":
    main()
