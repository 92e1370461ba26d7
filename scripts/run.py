"""Start newsroom for development: web, worker and beat (and Redis if needed) under supervisord.

`make run` calls this with `--check` (is there, or can there be, a broker?) before
`manage.py setup_site`, and without it afterwards. supervisord restarts any process that dies
(a worker killed by a broker restart, say), so one crash never takes the site down, and Ctrl-C
stops everything it started. When nothing answers at REDIS_URL and that URL is on this machine,
a `redis-server` on the PATH is started under the same supervisor, keeping its data in var/redis;
otherwise this prints one line saying what to do, and exits 1.
"""

from __future__ import annotations

import configparser
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import redis

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
BIN = Path(sys.executable).parent
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class Options:
    host: str
    port: int
    redis_url: str


def redis_answers(url: str) -> str | None:
    """Return None if Redis answers PING at `url`, else why not."""
    try:
        redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        return str(exc)
    return None


def redis_program(url: str, redis_server: str) -> dict[str, str]:
    """A supervisor program running a Redis server for `url` on loopback, data in var/redis."""
    port = urlsplit(url).port or 6379
    data = VAR / "redis"
    data.mkdir(parents=True, exist_ok=True)
    return {
        "command": (
            f"{redis_server} --bind 127.0.0.1 --port {port} --dir {data} "
            "--appendonly yes --daemonize no --logfile ''"
        ),
        # Before the worker, web and beat: they retry the broker until it answers anyway.
        "priority": "10",
    }


def program(command: str, *, priority: int) -> dict[str, str]:
    return {"command": command, "priority": str(priority)}


def supervisor_config(options: Options, *, start_redis: str | None) -> configparser.ConfigParser:
    """Build supervisord's configuration: every process restarted when it dies, logs to stdout."""
    config = configparser.ConfigParser(interpolation=None)
    config["supervisord"] = {
        "nodaemon": "true",
        "logfile": str(VAR / "log" / "supervisord.log"),
        "pidfile": str(VAR / "supervisord.pid"),
        "childlogdir": str(VAR / "log"),
    }
    config["unix_http_server"] = {"file": str(VAR / "supervisor.sock")}
    config["rpcinterface:supervisor"] = {
        "supervisor.rpcinterface_factory": "supervisor.rpcinterface:make_main_rpcinterface"
    }
    config["supervisorctl"] = {"serverurl": f"unix://{VAR / 'supervisor.sock'}"}

    programs = {
        "web": program(
            f"{BIN / 'gunicorn'} newsroom.wsgi --config {ROOT / 'deploy' / 'gunicorn.conf.py'} "
            f"--bind {options.host}:{options.port} --workers 2",
            priority=30,
        ),
        "worker": program(
            f"{BIN / 'celery'} -A newsroom worker --loglevel INFO --concurrency 2", priority=20
        ),
        "beat": program(
            f"{BIN / 'celery'} -A newsroom beat --loglevel INFO "
            f"--schedule {VAR / 'celerybeat-schedule'}",
            priority=20,
        ),
    }
    if start_redis:
        programs["redis"] = redis_program(options.redis_url, start_redis)
    for name, settings in programs.items():
        config[f"program:{name}"] = {
            **settings,
            "directory": str(ROOT),
            "autorestart": "true",
            # A process that keeps dying at start is retried with a growing pause, not given up
            # on after supervisor's default three tries: a broker or database may come back.
            "startsecs": "2",
            "startretries": "100",
            "stopasgroup": "true",
            "killasgroup": "true",
            "stopwaitsecs": "15",
            "redirect_stderr": "true",
            "stdout_logfile": "/dev/stdout",
            "stdout_logfile_maxbytes": "0",
        }
    return config


def main(argv: list[str]) -> int:
    check_only = "--check" in argv
    options = Options(
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "8000")),
        redis_url=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
    )
    (VAR / "log").mkdir(parents=True, exist_ok=True)
    start_redis = None
    problem = redis_answers(options.redis_url)
    if problem is not None:
        redis_server = shutil.which("redis-server")
        if urlsplit(options.redis_url).hostname not in LOCAL_HOSTS or redis_server is None:
            print(
                f"No Redis answers at {options.redis_url} ({problem}). Start one with "
                "`redis-server --daemonize yes` (Debian: `apt-get install redis-server`), "
                "or set REDIS_URL.",
                file=sys.stderr,
            )
            return 1
        start_redis = redis_server
        if check_only:
            return 0
        print(f"No Redis answers at {options.redis_url}: starting {redis_server} for it.")
    if check_only:
        return 0

    config_path = VAR / "supervisord.conf"
    with config_path.open("w") as handle:
        supervisor_config(options, start_redis=start_redis).write(handle)
    base = f"http://{options.host}:{options.port}"
    print(
        f"\n  Newsroom is starting at {base}/\n"
        f"  Moderation queue:       {base}/moderation/\n"
        "  Demo accounts (development passwords):\n"
        "    moderator / moderator-dev-pass   (Moderators group)\n"
        "    reader    / reader-dev-pass\n"
        "  Stop with Ctrl-C.\n",
        flush=True,
    )
    supervisord = str(BIN / "supervisord")
    os.execv(supervisord, [supervisord, "--configuration", str(config_path)])  # noqa: S606


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
