"""Real moving parts for the integration and browser tests: Redis, a Celery worker, a model.

A pytest plugin, registered by tests/integration/conftest.py and tests/browser/conftest.py (see
`register`), so both directories share one worker per session instead of starting one each.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import redis

from tests.conftest import require_service

BASE_DIR = Path(__file__).resolve().parent.parent

# The tests' own Redis database, never the development one (0) that `make run`'s worker reads.
# Deliberately not REDIS_URL: `make` exports REDIS_URL=.../0 to everything it runs.
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

WORKER_READY_TIMEOUT = 60.0
WORKER_STOP_TIMEOUT = 20.0
TASK_TIMEOUT = 30.0
REDIS_READY_TIMEOUT = 10.0
# One process, no chatter with other workers: the test controls everything the worker does.
WORKER_ARGS = shlex.split(
    "-A newsroom worker --pool solo --concurrency 1"
    " --without-gossip --without-mingle --without-heartbeat -l INFO"
)

_worker_key = pytest.StashKey["CeleryWorker"]()


def register(config: pytest.Config) -> None:
    """Register this module once as a plugin: its fixtures become visible to every test."""
    module = sys.modules[__name__]
    if not config.pluginmanager.is_registered(module):
        config.pluginmanager.register(module, "newsroom-workers")


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def require_redis() -> None:
    require_service("Redis", redis_answers(TEST_REDIS_URL), f"nothing answers at {TEST_REDIS_URL}")


@contextmanager
def celery_broker(url: str) -> Iterator[None]:
    """Point this process's Celery app (web requests, services) at `url`, then restore it.

    The app caches a connection pool and a producer pool keyed by the broker URL; both are
    dropped on the way in and out so no connection to the other broker is reused.
    """
    from kombu import pools

    from newsroom.celery import app

    saved = app.conf.broker_url
    # Both spellings: the app reads Django's CELERY_BROKER_URL before its own broker_url.
    names = ("broker_url", "CELERY_BROKER_URL")

    def drop_pools() -> None:
        pools.reset()  # closes every cached broker connection of this process
        # Celery has no public way to forget its pools; these are what it rebuilds them from.
        app._pool = None  # type: ignore[attr-defined]
        if "amqp" in app.__dict__:
            app.amqp._producer_pool = None  # type: ignore[attr-defined]

    drop_pools()
    app.conf.update(dict.fromkeys(names, url))
    try:
        yield
    finally:
        drop_pools()
        app.conf.update(dict.fromkeys(names, saved))


@contextmanager
def stalled_listener() -> Iterator[str]:
    """Yield a redis:// URL whose server accepts connections and never answers."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept_forever() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return  # the listener was shut down
            accepted.append(conn)

    thread = threading.Thread(target=accept_forever, name="stalled-broker", daemon=True)
    thread.start()
    try:
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/15"
    finally:
        server.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() on Linux
        server.close()
        thread.join(timeout=5)
        for conn in accepted:
            conn.close()


@contextmanager
def refusing_port() -> Iterator[str]:
    """Yield a redis:// URL on a port that refuses connections (bound, never listening)."""
    # Holding the port bound without listen() makes the kernel refuse connections to it and
    # keeps any other process from taking it during the test.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"redis://127.0.0.1:{sock.getsockname()[1]}/15"


def database_url() -> str:
    """Return a DATABASE_URL naming the test database this session created."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        # settings.py keeps SQLite's test database in a file for exactly this purpose.
        name = str(db["NAME"])
        assert name != ":memory:" and "mode=memory" not in name, "a worker cannot share it"
        return f"sqlite:///{Path(name).resolve()}"
    if connection.vendor == "postgresql":
        user = quote(db.get("USER") or "", safe="")
        password = quote(db.get("PASSWORD") or "", safe="")
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        port = f":{db['PORT']}" if db.get("PORT") else ""
        return f"postgres://{auth}{db.get('HOST') or ''}{port}/{quote(db['NAME'], safe='')}"
    raise AssertionError(f"no worker DATABASE_URL for {connection.vendor}")


class CeleryWorker:
    """A `celery worker` child process whose merged output is read line by line as it comes.

    Tests wait on lines of its log (a task's outcome) with a timeout instead of sleeping.
    """

    def __init__(self, env: dict[str, str], args: list[str] | None = None) -> None:
        celery = Path(sys.executable).with_name("celery")
        self.process = subprocess.Popen(
            [str(celery), *(WORKER_ARGS if args is None else args)],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            bufsize=1,
            start_new_session=True,  # Ctrl-C in the test run reaches pytest, not the worker
        )
        self.lines: list[str] = []
        self.exited = False
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, name="celery-worker-log", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self.exited = True
            self._changed.notify_all()

    def mark(self) -> int:
        """Return a position in the log; `wait_for(..., since=mark)` looks only after it."""
        with self._changed:
            return len(self.lines)

    def log(self, since: int = 0) -> str:
        with self._changed:
            return "\n".join(self.lines[since:])

    def wait_for(self, pattern: str, *, since: int = 0, timeout: float = TASK_TIMEOUT) -> str:
        """Wait until a log line after `since` matches `pattern`; return it, or fail the test."""
        regex = re.compile(pattern)

        def found() -> str | None:
            return next((line for line in self.lines[since:] if regex.search(line)), None)

        with self._changed:
            self._changed.wait_for(lambda: found() is not None or self.exited, timeout=timeout)
            line = found()
        if line is None:
            state = "exited" if self.exited else f"no such line within {timeout:.0f} s"
            pytest.fail(
                f"celery worker: {state}, waiting for /{pattern}/. Its log:\n{self.log(since)}",
                pytrace=False,
            )
        return line

    def wait_for_task(self, task_id: str, *, since: int = 0) -> str:
        """Wait until the worker reports task `task_id` done; fail the test if it raised."""
        line = self.wait_for(
            rf"Task [\w.]+\[{re.escape(task_id)}\] (succeeded|raised|failed)", since=since
        )
        assert "succeeded" in line, f"task failed in the worker:\n{self.log(since)}"
        return line

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # warm shutdown: finish the current task
            try:
                self.process.wait(timeout=WORKER_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=WORKER_STOP_TIMEOUT)
        self._reader.join(timeout=5)


def free_port() -> int:
    """Return a TCP port nothing listens on now (the kernel's choice, released at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """A `redis-server` of the test's own, on its own free port, with no persistence.

    `restart()` is the fault the broker-restart test injects: `SHUTDOWN NOSAVE`, an outage,
    then a fresh server on the same port with an empty dataset (queued messages are gone).
    """

    def __init__(self) -> None:
        self.executable = shutil.which("redis-server")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert self.executable is not None
        self.process = subprocess.Popen(
            [
                self.executable,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + REDIS_READY_TIMEOUT
        while not redis_answers(self.url):
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"redis-server on port {self.port} did not start", pytrace=False)
            time.sleep(0.05)

    def shutdown_nosave(self) -> None:
        """Stop the server the way the incident did: SHUTDOWN NOSAVE, dropping every key."""
        assert self.process is not None
        with contextlib.suppress(redis.ConnectionError):
            redis.Redis.from_url(self.url, socket_timeout=2).shutdown(nosave=True)
        self.process.wait(timeout=REDIS_READY_TIMEOUT)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=REDIS_READY_TIMEOUT)


def require_redis_server() -> None:
    require_service(
        "redis-server", shutil.which("redis-server") is not None, "install Debian's redis-server"
    )


@contextmanager
def private_redis() -> Iterator[RedisServer]:
    """Start a Redis of the test's own on a free port; stop it on the way out."""
    require_redis_server()
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def worker_env(broker_url: str) -> dict[str, str]:
    """The environment of a worker process against `broker_url` and this session's database."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "newsroom.settings",
        "DATABASE_URL": database_url(),
        "DATABASE_CONN_MAX_AGE": "0",  # no idle connection may outlive a test's flush
        "REDIS_URL": broker_url,
        "PYTHONUNBUFFERED": "1",
        # Tests wait on heartbeats: a second apart rather than production's ten.
        "WORKER_HEARTBEAT_SECONDS": "1",
    }


def require_postgresql_under_ci() -> None:
    from django.db import connection

    if os.environ.get("CI", "").lower() == "true":
        require_service(
            "PostgreSQL",
            connection.vendor == "postgresql",
            "CI runs the worker against PostgreSQL: set DATABASE_URL=postgres://...",
        )


@pytest.fixture(scope="session")
def celery_test_broker() -> Iterator[str]:
    """Publish from this process (tests, live server) to the tests' Redis database."""
    require_redis()
    with celery_broker(TEST_REDIS_URL):
        yield TEST_REDIS_URL


@pytest.fixture(scope="session")
def celery_worker(
    request: pytest.FixtureRequest, django_db_setup: None, celery_test_broker: str
) -> Iterator[CeleryWorker]:
    """Start one real Celery worker against the test Redis and the session's test database."""
    require_postgresql_under_ci()
    # Tasks left by an earlier, interrupted run would be scored against rows that do not exist.
    redis.Redis.from_url(TEST_REDIS_URL).flushdb()

    worker = CeleryWorker(worker_env(TEST_REDIS_URL))
    request.config.stash[_worker_key] = worker
    try:
        worker.wait_for(r"celery@\S+ ready\.", timeout=WORKER_READY_TIMEOUT)
        yield worker
    finally:
        # A failing test carries the worker's log in its report (pytest_runtest_makereport).
        worker.stop()
        del request.config.stash[_worker_key]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Attach the worker's log to the report of any failing test that used the worker."""
    report = yield
    worker = item.config.stash.get(_worker_key, None)
    if (
        report.failed
        and worker is not None
        and "celery_worker" in getattr(item, "fixturenames", ())
    ):
        report.sections.append(("celery worker log", worker.log()))
    return report


@pytest.fixture
def active_classifier(trained: Any, artifact: bytes, transactional_db: None) -> Any:
    """Store the session's model (tests/conftest.py) as the active version (each transactional
    test starts empty)."""
    from comments.model_versions import save_classifier_version

    return save_classifier_version(trained=trained, artifact=artifact, activate=True)


def run_with_deadline(function: Callable[[], Any], *, timeout: float, what: str) -> Any:
    """Run `function` in a thread; fail the test if it has not returned within `timeout`.

    A hang (a request stuck on a stalled broker) then fails one test instead of the whole run.
    """
    from django.db import connections

    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = function()
        except BaseException as error:
            outcome["error"] = error
        finally:
            connections.close_all()  # this thread's own connections; none may outlive the test

    thread = threading.Thread(target=run, name=what, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        pytest.fail(f"{what} did not return within {timeout:.0f} s", pytrace=False)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
