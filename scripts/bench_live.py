"""Print what live updates cost (2,000 open readers polling one article) and the nudge costs.

Live updates. gunicorn (2 sync workers, as `make run` starts it) serves a throwaway database;
a load generator in its own process plays READERS readers with the article open, each polling
`comments:live` every LIVE_POLL_SECONDS with the ETag it last got (If-None-Match), as a browser
does. Meanwhile a comment is published every PUBLISH_EVERY seconds, so some polls find news and
cost a query and a render. The server's CPU comes from /proc (its master and workers, user plus
system time), never from the client; it is printed per request and per open reader, next to the
anchor: the same readers asking a Django view that runs no query (/favicon.ico, a redirect
through the whole middleware stack), measured in the same run on the same server.

The nudge. The same post (htmx, Django's test client, in this process) with the nudge off and
on, on a draft the model lets through (every post pays for this) and on one it would hold
(answered with the nudge instead of being saved): the median added per post.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

READERS = int(os.getenv("LIVE_BENCH_READERS", "2000"))
SECONDS = int(os.getenv("LIVE_BENCH_SECONDS", "20"))
POLL_SECONDS = 8  # settings.LIVE_POLL_SECONDS: within the 10 s
PUBLISH_EVERY = 10.0
WORKERS = 2

# One reader: a first poll at a random moment in the first period, then one every period, each
# with the ETag of the last answer. A new connection each time: gunicorn's sync workers close it.
LOAD_GENERATOR = r"""
import asyncio, json, random, sys, time
port, path = int(sys.argv[1]), sys.argv[2]
readers, seconds, period = int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
statuses, latencies = {}, []

async def ask(etag):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nHX-Request: true\r\nConnection: close\r\n"
    if etag:
        head += f"If-None-Match: {etag}\r\n"
    writer.write((head + "\r\n").encode())
    response = await reader.read()
    writer.close()
    status_line, _, rest = response.partition(b"\r\n")
    status = int(status_line.split()[1])
    for line in rest.split(b"\r\n"):
        if line.lower().startswith(b"etag:"):
            etag = line.split(b":", 1)[1].strip().decode()
    return status, etag

async def reader(index, start, end):
    rng = random.Random(index)
    etag, due = None, start + rng.random() * period
    while due < end:
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        sent = time.monotonic()
        try:
            status, etag = await ask(etag)
        except OSError as exc:
            status = type(exc).__name__
        statuses[status] = statuses.get(status, 0) + 1
        latencies.append((time.monotonic() - sent) * 1000)
        due += period

async def main():
    start = time.monotonic() + 0.5
    await asyncio.gather(*(reader(i, start, start + seconds) for i in range(readers)))

asyncio.run(main())
latencies.sort()
p50, p99 = latencies[len(latencies) // 2], latencies[int(len(latencies) * .99)]
print(json.dumps({"statuses": {str(k): v for k, v in statuses.items()}, "p50": p50, "p99": p99}))
"""


def free_port() -> int:
    wanted = os.getenv("LIVE_BENCH_PORT")
    if wanted:
        return int(wanted)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(root_pid: int) -> float:
    """User + system CPU of a process and its children, alive ones, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    pids = [root_pid]
    children = Path(f"/proc/{root_pid}/task/{root_pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def wait_for(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not listen on {port}")


def load(port: int, path: str, publish: object = None) -> tuple[dict[str, object], float, float]:
    """Run the readers against `path`; return their figures, the server's CPU and the wall time."""
    generator = subprocess.Popen(  # noqa: S603 (this interpreter, our own script)
        [
            sys.executable,
            "-c",
            LOAD_GENERATOR,
            str(port),
            path,
            str(READERS),
            str(SECONDS),
            str(POLL_SECONDS),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    cpu_before, started = cpu_seconds(SERVER.pid), time.monotonic()
    next_publication = started + PUBLISH_EVERY / 2
    while generator.poll() is None:
        if publish is not None and time.monotonic() >= next_publication:
            publish()  # type: ignore[operator]
            next_publication += PUBLISH_EVERY
        time.sleep(0.05)
    cpu, wall = cpu_seconds(SERVER.pid) - cpu_before, time.monotonic() - started
    out, _ = generator.communicate()
    return json.loads(out), cpu, wall


def report(name: str, figures: dict[str, object], cpu: float, wall: float) -> float:
    statuses: dict[str, int] = figures["statuses"]  # type: ignore[assignment]
    served = sum(n for status, n in statuses.items() if status.isdigit())
    per_request = cpu * 1000 / max(served, 1)
    print(
        f"{name}: {served:,} requests in {wall:4.1f} s ({served / wall:5.0f}/s), "
        f"statuses {dict(sorted(statuses.items()))}, "
        f"latency p50 {figures['p50']:.1f} ms p99 {figures['p99']:.1f} ms"
    )
    print(
        f"{'':{len(name)}}  server CPU {cpu:5.2f} s = {per_request:5.2f} ms per request, "
        f"{cpu / wall * 100:5.1f}% of one core"
    )
    return per_request


def live_figures(port: int) -> None:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from articles.models import Article
    from comments import live
    from comments.models import Comment, CommentStatus

    article = Article.objects.get(slug="bench-live")
    author = get_user_model().objects.get(username="bench-author")
    shown_at = timezone.now().isoformat().replace("+", "%2B")

    def publish() -> None:
        Comment.objects.create(
            article=article,
            author=author,
            body="News.",
            status=CommentStatus.PUBLISHED,
            decided_at=timezone.now(),
        )
        live.bump_articles([article.pk])

    print(
        f"\nLive updates: {READERS:,} open readers on one article, each polling every "
        f"{POLL_SECONDS} s for {SECONDS} s; gunicorn, {WORKERS} sync workers, on {os.cpu_count()} "
        f"cores; a comment published every {PUBLISH_EVERY:.0f} s"
    )
    anchor_figures = load(port, "/favicon.ico")
    anchor = report("anchor, /favicon.ico (no query)", *anchor_figures)
    live_figures_ = load(port, f"/live/articles/{article.pk}/?since={shown_at}", publish)
    per_request = report("live poll with If-None-Match  ", *live_figures_)
    # Per reader from the cost of a request, not from the wall time: on a busy machine the
    # polls queue and the wall time stretches, but each still costs what it costs.
    per_reader = per_request / POLL_SECONDS
    print(
        f"CPU per open reader: {per_reader:.3f} ms of CPU per second; {READERS:,} readers: "
        f"{per_reader * READERS / 10:.0f}% of one core ({WORKERS * 100}% available); "
        f"live poll / anchor: {per_request / anchor:.2f}x CPU per request"
    )


def main() -> None:
    global SERVER
    work = Path(tempfile.mkdtemp(prefix="bench-live-"))
    env = {
        **os.environ,
        "DATABASE_URL": os.getenv("LIVE_BENCH_DATABASE_URL", f"sqlite:///{work / 'db.sqlite3'}"),
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "bench-live-" + "x" * 40,
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_STATIC_ROOT": str(work / "static"),
        "LOG_LEVEL": "WARNING",
    }
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/9")
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "newsroom.settings"
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from articles.models import Article
    from comments.models import Comment, CommentStatus

    with open(os.devnull, "w") as quiet:
        call_command("migrate", verbosity=0, stdout=quiet)
        call_command("collectstatic", "--noinput", verbosity=0, stdout=quiet)
    article = Article.objects.create(slug="bench-live", title="Live", body="One.")
    author = get_user_model().objects.create_user("bench-author")
    Comment.objects.bulk_create(
        Comment(article=article, author=author, body=f"Comment {i}", status=CommentStatus.PUBLISHED)
        for i in range(50)
    )
    port = free_port()
    SERVER = subprocess.Popen(  # noqa: S603
        [
            str(BIN / "gunicorn"),
            "newsroom.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(WORKERS),
            "--backlog",
            "4096",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_for(port)
        live_figures(port)
    finally:
        SERVER.terminate()
        SERVER.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


SERVER: subprocess.Popen[bytes]

if __name__ == "__main__":
    main()
