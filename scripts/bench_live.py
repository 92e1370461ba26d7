"""Print what live updates cost (2,000 open readers polling one article) and the nudge costs.

Live updates. gunicorn (2 sync workers, as `make run` starts it) serves a throwaway database;
a load generator in its own process plays READERS readers with the article open, each polling
`comments:live` every POLL_SECONDS with the ETag it last got (If-None-Match), as a browser
does, and the `since` and `seen` the page sends; signed out, as most readers are. Every
reader's first poll (no ETag yet) is a warm-up; then it is measured twice: on a quiet article
(every poll a 304) and on a hot one, a comment published every PUBLISH_EVERY seconds (a poll
after each finds news: "N new comments", from the cache, before Django: comments.live's early
answer); then the hot article again with every reader signed in (their polls with news go
through Django: a session, a user and a count of their own). The server's CPU comes from /proc
(its master and workers, user plus system time), never from the client; it is printed per
request and per open reader, next to the anchor: the same readers asking a Django view that
runs no query (/favicon.ico, a redirect through the whole middleware stack), in the same run on
the same server; and the cores that READERS open readers need at that cost.

The nudge. The same post (htmx, Django's test client, in this process) with the nudge off and
on, on drafts the model lets through (every post pays for this), interleaved; and the answer to
a draft it would hold (the nudge, instead of saving): the medians, and what the nudge adds.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from scripts.proc_cpu import tree_cpu_seconds  # noqa: E402

READERS = int(os.getenv("LIVE_BENCH_READERS", "2000"))
SECONDS = int(os.getenv("LIVE_BENCH_SECONDS", "16"))
POLL_SECONDS = 8  # settings.LIVE_POLL_SECONDS: within the 10 s
PUBLISH_EVERY = 10.0
WORKERS = 2

# One reader: a first poll at a random moment in the first period, then one every period, each
# with the ETag of the last answer. A new connection each time: gunicorn's sync workers close it.
# Signed-in readers (a file of session keys): reader i sends the i-th session's cookie.
LOAD_GENERATOR = r"""
import asyncio, json, random, sys, time
port, path = int(sys.argv[1]), sys.argv[2]
readers, seconds, period = int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
sessions = json.load(open(sys.argv[6])) if len(sys.argv) > 6 else []
statuses, latencies, measuring = {}, [], False

async def ask(etag, index):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nHX-Request: true\r\nConnection: close\r\n"
    if sessions:
        head += f"Cookie: sessionid={sessions[index % len(sessions)]}\r\n"
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

async def reader(index, etag):
    # After the warm-up, each reader polls every period from a random phase, as open pages do.
    due = time.monotonic() + random.Random(index).random() * period
    end = due + seconds
    while due < end:
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        sent = time.monotonic()
        try:
            status, etag = await ask(etag, index)
        except OSError as exc:
            status = type(exc).__name__
        statuses[status] = statuses.get(status, 0) + 1
        latencies.append((time.monotonic() - sent) * 1000)
        due += period

async def first_poll(index):
    # The page's first poll has no ETag yet: a warm-up, not measured.
    await asyncio.sleep(random.Random(-index).random() * period)
    for _ in range(5):
        try:
            return (await ask(None, index))[1]
        except OSError:
            await asyncio.sleep(1)

async def main():
    etags = await asyncio.gather(*(first_poll(i) for i in range(readers)))
    print("measuring", flush=True)
    await asyncio.gather(*(reader(i, etag) for i, etag in enumerate(etags)))

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


def gunicorn_command(port: int) -> list[str]:
    """The project under gunicorn as `make run` starts it, on `port`, with a deep backlog."""
    return [
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
    ]


def wait_for(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not listen on {port}")


def load(
    port: int, path: str, publish: object = None, sessions: Path | None = None
) -> tuple[dict[str, object], float, float]:
    """Run the readers against `path` (signed in with `sessions`' keys, if given); return their
    figures, the server's CPU and the wall time of the measured part (after every reader's
    first poll)."""
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
            *([str(sessions)] if sessions else []),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert generator.stdout is not None
    assert generator.stdout.readline().strip() == "measuring"
    cpu_before, started = tree_cpu_seconds(SERVER.pid), time.monotonic()
    next_publication = started + PUBLISH_EVERY / 2
    while generator.poll() is None:
        if publish is not None and time.monotonic() >= next_publication:
            publish()  # type: ignore[operator]
            next_publication += PUBLISH_EVERY
        time.sleep(0.05)
    cpu, wall = tree_cpu_seconds(SERVER.pid) - cpu_before, time.monotonic() - started
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


def publish_news(article: Any, author: Any) -> None:
    """Publish one comment as scoring does (comments.scoring: bump_on_commit(published=True)),
    without a worker."""
    from django.utils import timezone

    from comments import live
    from comments.models import Comment, CommentStatus

    Comment.objects.create(
        article=article,
        author=author,
        body="News.",
        status=CommentStatus.PUBLISHED,
        decided_at=timezone.now(),
    )
    live.bump_articles([article.pk], {article.pk: 1})


def live_figures(port: int) -> None:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from articles.models import Article
    from comments import live

    article = Article.objects.get(slug="bench-live")
    author = get_user_model().objects.get(username="bench-author")
    shown_at = timezone.now().isoformat().replace("+", "%2B")

    def publish() -> None:
        publish_news(article, author)

    print(
        f"\nLive updates: {READERS:,} open readers on one article, each polling every "
        f"{POLL_SECONDS} s for {SECONDS} s after its first poll; gunicorn, {WORKERS} sync "
        f"workers, on {os.cpu_count()} cores (CPU from /proc, server processes only)"
    )
    # The poll as the page sends it (templates/comments/_live.html): the time it was shown and
    # the published count it was shown with, so that news is counted from the cache.
    seen = live.published_count(article.pk)
    poll = f"/live/articles/{article.pk}/?since={shown_at}&seen={seen}"
    anchor = report("anchor, /favicon.ico (no query)  ", *load(port, "/favicon.ico"))
    quiet = report("live poll, nothing published     ", *load(port, poll))
    hot = report(f"live poll, one published per {PUBLISH_EVERY:.0f} s", *load(port, poll, publish))
    sessions = signed_in_sessions()
    signed_in = report(
        "signed in, same hot article      ", *load(port, poll, publish, sessions=sessions)
    )
    sessions.unlink()
    # Per reader from the cost of a request, not from the wall time: on a busy machine the
    # polls queue and the wall time stretches, but each still costs what it costs.
    print(f"\nCPU per poll against the anchor ({anchor:.2f} ms), and what {READERS:,} readers need")
    for name, per_request in [
        ("signed out, quiet article", quiet),
        ("signed out, hot article  ", hot),
        ("signed in, hot article   ", signed_in),
    ]:
        per_reader = per_request / POLL_SECONDS
        cores = per_reader * READERS / 1000
        print(
            f"{name}: {per_request:.2f} ms CPU per poll ({per_request / anchor:.2f}x the "
            f"anchor); per open reader {per_reader:.3f} ms CPU per second; {READERS:,} readers "
            f"need {cores:.2f} cores ({os.cpu_count()} here)"
        )


def signed_in_sessions() -> Path:
    """READERS signed-in readers' session keys, in a file for the load generator: their polls
    go through Django (their own comments are not news to them)."""
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore

    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"bench-reader-{i}", password=make_password(None))
        for i in range(READERS)
    )
    keys = []
    for user in users:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        keys.append(session.session_key)
    handle, name = tempfile.mkstemp(suffix=".json")
    with os.fdopen(handle, "w") as out:
        json.dump(keys, out)
    return Path(name)


NUDGE_RUNS = 100
# Drafts the model lets through, from a line to a paragraph: what every post pays the nudge for.
PUBLISHABLE = [
    "Thanks for this.",
    "I read the whole article and I think the government waited far too long.",
    "Great reporting, thank you. The second paragraph explains the budget clearly and I agree "
    "with most of it, though the numbers for next year look optimistic to me.",
    "Does anyone know whether the consultation is still open? The link in the article goes to "
    "a page that says it closed last week, but the date in the third paragraph says otherwise.",
]
FLAGGED = "You are an idiot and so is everyone who agrees with this rubbish."


def nudge_figures() -> None:
    """The median a post costs with the nudge on and off (htmx, in this process)."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from comments import drafts

    with open(os.devnull, "w") as quiet:
        from django.core.management import call_command

        call_command("train_classifier", "--limit", "3000", stdout=quiet)
    settings.COMMENT_RATE_LIMIT = 10**6
    client = Client(HTTP_HOST="127.0.0.1")  # DEBUG is off: ALLOWED_HOSTS applies
    client.force_login(get_user_model().objects.create_user("bench-nudged"))
    url = "/articles/bench-live/comments/"

    def post(body: str, nudge: bool) -> tuple[float, float, str]:
        settings.COMMENT_NUDGE_ENABLED = nudge
        wall, cpu = time.perf_counter(), time.process_time()
        response = client.post(url, {"body": body}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200, response.status_code
        return (
            (time.perf_counter() - wall) * 1000,
            (time.process_time() - cpu) * 1000,
            response.content.decode(),
        )

    assert drafts.check_draft(FLAGGED) is not None, "the bench's flagged draft is not flagged"
    for body in PUBLISHABLE:  # else "nudge on" would time a nudge, not a post
        assert drafts.check_draft(body) is None, f"the model would nudge {body!r}"
    post(PUBLISHABLE[0], True)  # the first post of a process loads the model: not a median's
    off, on, flagged = [], [], []
    for i in range(NUDGE_RUNS):  # interleaved, so that the machine's load falls on both alike
        body = PUBLISHABLE[i % len(PUBLISHABLE)]
        off.append(post(body, False)[:2])
        on.append(post(body, True)[:2])
        wall, cpu, html = post(FLAGGED, True)
        assert "may break our community guidelines" in html
        flagged.append((wall, cpu))

    def medians(rows: list[tuple[float, float]]) -> tuple[float, float]:
        return statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows)

    (off_wall, off_cpu), (on_wall, on_cpu) = medians(off), medians(on)
    flagged_wall, flagged_cpu = medians(flagged)
    print(f"\nThe nudge: a post (htmx), median of {NUDGE_RUNS}, wall and CPU (process_time)")
    print(f"post, nudge off:                 {off_wall:6.1f} ms wall, {off_cpu:6.1f} ms CPU")
    print(f"post, nudge on (draft passes):   {on_wall:6.1f} ms wall, {on_cpu:6.1f} ms CPU")
    print(
        f"draft nudged (answer, not saved): {flagged_wall:5.1f} ms wall, {flagged_cpu:6.1f} ms CPU"
    )
    print(
        f"added by the nudge to a post: {on_wall - off_wall:+.1f} ms wall, "
        f"{on_cpu - off_cpu:+.1f} ms CPU median (the bound is 20 ms); "
        f"on/off: {on_cpu / off_cpu:.2f}x CPU"
    )


def prepare_site(work: Path, name: str) -> tuple[Any, Any]:
    """Settle this process on a throwaway site in `work` (production settings, SQLite unless
    LIVE_BENCH_DATABASE_URL says otherwise) and return its story, with 50 published comments,
    and their author. bench_sse.py starts from the same site."""
    env = {
        **os.environ,
        "DATABASE_URL": os.getenv("LIVE_BENCH_DATABASE_URL", f"sqlite:///{work / 'db.sqlite3'}"),
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": f"{name}-" + "x" * 40,
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
    return article, author


def main() -> None:
    global SERVER
    work = Path(tempfile.mkdtemp(prefix="bench-live-"))
    prepare_site(work, "bench-live")
    port = free_port()
    SERVER = subprocess.Popen(  # noqa: S603
        gunicorn_command(port),
        cwd=ROOT,
        env=dict(os.environ),  # the site prepare_site settled on
    )
    try:
        wait_for(port)
        # LIVE_BENCH_ONLY=live or =nudge runs one half (each takes minutes on a busy machine).
        only = os.getenv("LIVE_BENCH_ONLY", "")
        if only in ("", "live"):
            live_figures(port)
        if only in ("", "nudge"):
            nudge_figures()
    finally:
        SERVER.terminate()
        SERVER.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


SERVER: subprocess.Popen[bytes]

if __name__ == "__main__":
    main()
