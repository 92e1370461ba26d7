"""Load mode of `make bench` (`make bench-load`): newsroom under gunicorn and Celery, driven over
loopback by locust, beside a minimal Django anchor measured in the same run (issue 15).

Starts, on BENCH_LOAD_PORT and the port after it (8310 and 8311 by default):
- newsroom under gunicorn (deploy/gunicorn.conf.py, 2 workers) with production settings
  (DJANGO_DEBUG=0, a throwaway secret key) and a Celery worker (concurrency 2);
- the anchor, scripts/bench_anchor: one table, a view listing 20 comments, a view with no query,
  a post view that enqueues a no-op decision, under the same gunicorn settings, with its own
  Celery worker (concurrency 2, its own queue).
Both use a fresh PostgreSQL database created on BENCH_DATABASE_URL's server (dropped at the end)
and the Redis at REDIS_URL. The data: an article with 200 published comments (60 of them
replies), and 10,000 held among about 100,000 comments on other articles.

CPU is read from /proc for gunicorn's (or the worker's) processes and divided by the requests
(or comments) served: on this shared machine those and the ratios are what count, not rps.
Prints figures, asserts nothing. Everything it starts is stopped, on failure or Ctrl-C too.
"""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts.proc_cpu import tree_cpu_seconds  # noqa: E402

SCRIPTS = ROOT / "scripts"
BIN = Path(sys.executable).parent
SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "10"))
# BENCH_LOAD_ONLY=article: the article page and its anchors alone (no queue, no posts).
ARTICLE_ONLY = os.environ.get("BENCH_LOAD_ONLY", "") == "article"
READERS = 10  # locust users fetching pages as fast as they can
POST_RATES = (20, 50)  # posts a second, one locust user (one account) per post a second
ARTICLE_COMMENTS, ARTICLE_REPLIES = 200, 60
TOTAL_COMMENTS, HELD_COMMENTS, OTHER_ARTICLES = 100_000, 10_000, 20


@dataclass(frozen=True)
class LoadResult:
    requests: int
    failures: int
    rps: float
    p50_ms: float
    p99_ms: float


def parse_locust_stats(text: str) -> LoadResult:
    """The "Aggregated" row of locust's `--csv` file `<prefix>_stats.csv`."""
    for row in csv.DictReader(io.StringIO(text)):
        if row["Name"] == "Aggregated":
            return LoadResult(
                requests=int(row["Request Count"]),
                failures=int(row["Failure Count"]),
                rps=float(row["Requests/s"]),
                p50_ms=float(row["50%"] if row["50%"] != "N/A" else "nan"),
                p99_ms=float(row["99%"] if row["99%"] != "N/A" else "nan"),
            )
    raise ValueError("no Aggregated row in locust's stats")


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of `values` (fraction 0.5 for the median, 0.99 for p99)."""
    ordered = sorted(values)
    rank = max(1, round(fraction * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def children_rss_mb(pid: int) -> list[float]:
    """Resident memory of each child of `pid` (gunicorn's workers), in MB."""
    sizes = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines())
        except OSError:
            continue
        if int(fields["PPid"]) == pid:
            sizes.append(int(fields["VmRSS"].split()[0]) / 1024)
    return sizes


class Services:
    """Processes started in their own sessions, each stopped (SIGTERM, then SIGKILL) on exit."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, command: list[str], env: dict[str, str], cwd: Path) -> int:
        log = (self.logs / f"{name}.log").open("wb")
        process = subprocess.Popen(  # noqa: S603 (our own programs)
            command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes.append(process)
        return process.pid

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def check_page(url: str, cookie: str) -> None:
    """Fail unless `url` answers 200 itself (not a redirect to the sign-in page, say)."""
    request = urllib.request.Request(url, headers={"Cookie": cookie})  # noqa: S310 (loopback)
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
        if response.status != 200 or response.url != url:
            raise SystemExit(f"bench-load: {url} answered {response.status} at {response.url}")


def wait_for(url: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"bench-load: nothing answered at {url} (see the logs)")
        time.sleep(0.5)


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """Create a PostgreSQL database on `server_url`'s server; yield its URL; drop it."""
    import psycopg

    name = f"newsroom_bench_load_{os.getpid()}"
    parts = urlsplit(server_url)
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed() -> dict[str, object]:
    """Fill the database: the load article, the haystack, accounts, and the anchor's table."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from articles.models import Article
    from comments.models import Comment

    users = get_user_model().objects
    reader = users.create_user("load-reader")
    moderator = users.create_user("load-moderator")
    moderator.groups.add(Group.objects.get(name="Moderators"))
    posters = [users.create_user(f"load-poster-{i}") for i in range(max(POST_RATES))]
    article = Article.objects.create(slug="load", title="Load story", body="One.\n\nTwo.")
    now = timezone.now()
    top = Comment.objects.bulk_create(
        Comment(
            article=article,
            author=reader,
            body=f"Comment {i}: I read the whole article and the council waited far too long.",
            status="published",
            created_at=now - timedelta(minutes=i),
            reply_count=1 if i < ARTICLE_REPLIES else 0,
        )
        for i in range(ARTICLE_COMMENTS - ARTICLE_REPLIES)
    )
    Comment.objects.bulk_create(
        Comment(
            article=article,
            author=reader,
            body=f"Reply {i}: thanks, the figures on page two surprised me too.",
            status="published",
            parent=top[i],
            root=top[i],
            depth=1,
            created_at=now - timedelta(seconds=30 + i),
        )
        for i in range(ARTICLE_REPLIES)
    )
    others = [
        Article.objects.create(slug=f"other-{i}", title=f"Story {i}", body="One.")
        for i in range(OTHER_ARTICLES)
    ]
    template = Comment.objects.create(
        article=others[0], author=reader, body="template", status="published"
    )
    # The haystack in one statement: a copy of `template` per row, the first HELD_COMMENTS held.
    columns = [str(f.column) for f in Comment._meta.concrete_fields if f.column != "id"]
    held = "g <= %(held)s"
    expressions = {
        "article_id": "(%(articles)s::bigint[])[1 + g %% %(count)s]",
        "body": "'Comment ' || g || ': the bus timetable changes will hurt night shifts.'",
        "status": f"CASE WHEN {held} THEN 'held' ELSE 'published' END",
        "risk": f"CASE WHEN {held} THEN (g %% 1000) / 1000.0 ELSE t.risk END",
        "scores": f"""CASE WHEN {held} THEN '{{"toxicity": 0.5, "spam": 0.1}}'::jsonb
                     ELSE t.scores END""",
        "reason_codes": f"""CASE WHEN {held} THEN '["toxicity_uncertain"]'::jsonb
                           ELSE t.reason_codes END""",
        "created_at": "t.created_at - g * interval '1 second'",
    }
    selected = ", ".join(expressions.get(column, f"t.{column}") for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Comment._meta.db_table} ({', '.join(columns)}) "  # noqa: S608
            f"SELECT {selected} FROM {Comment._meta.db_table} t, "
            "generate_series(1, %(rows)s) g WHERE t.id = %(template)s",
            {
                "articles": [other.pk for other in others],
                "count": len(others),
                "held": HELD_COMMENTS,
                "rows": TOTAL_COMMENTS - ARTICLE_COMMENTS - 1,
                "template": template.pk,
            },
        )
        cursor.execute(
            "CREATE TABLE bench_anchor_comment (id bigserial PRIMARY KEY, "
            "author varchar(150) NOT NULL, body text NOT NULL, "
            "created_at timestamptz NOT NULL, decided_at timestamptz)"
        )
        cursor.execute(
            "INSERT INTO bench_anchor_comment (author, body, created_at) "
            "SELECT 'reader ' || g, 'Comment ' || g || ': the council waited far too long.', "
            "now() - g * interval '1 minute' FROM generate_series(1, %s) g",
            [ARTICLE_COMMENTS],
        )
        cursor.execute("ANALYZE")

    def cookie(user: object) -> str:
        client = Client()
        client.force_login(user)  # type: ignore[arg-type]
        return f"sessionid={client.cookies['sessionid'].value}"

    return {
        "article": article.get_absolute_url(),
        "post": f"/articles/{article.slug}/comments/",
        "moderator": cookie(moderator),
        "posters": [cookie(poster) for poster in posters],
        "comments": Comment.objects.count(),
    }


def locust(
    host: str, users: int, env: dict[str, str], workdir: Path, seconds: int = SECONDS
) -> LoadResult:
    prefix = workdir / f"locust-{time.monotonic_ns()}"
    subprocess.run(  # noqa: S603 (our own locust)
        [
            *("nice", "-n", "5", str(BIN / "locust"), "-f"),
            str(SCRIPTS / "bench_load_locustfile.py"),
            *("--headless", "--only-summary", "--loglevel", "WARNING"),
            *("-u", str(users), "-r", str(users), "-t", f"{seconds}s"),
            *("--host", host, "--csv", str(prefix)),
        ],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
    )
    return parse_locust_stats(Path(f"{prefix}_stats.csv").read_text())


@dataclass(frozen=True)
class PageFigure:
    rps: float
    cpu_ms: float
    p50_ms: float
    failures: int


def measure_page(
    host: str, gunicorn: int, path: str, workdir: Path, cookie: str = ""
) -> PageFigure:
    env = {"LOAD_MODE": "get", "LOAD_PATH": path, "LOAD_COOKIE": cookie}
    cpu = tree_cpu_seconds(gunicorn)
    result = locust(host, READERS, env, workdir)
    cpu = tree_cpu_seconds(gunicorn) - cpu
    return PageFigure(
        result.rps, cpu * 1000 / max(result.requests, 1), result.p50_ms, result.failures
    )


@dataclass(frozen=True)
class PipelineFigure:
    posted: int
    failures: int
    p50_ms: float
    p99_ms: float
    web_cpu_ms: float
    worker_cpu_ms: float


def measure_pipeline(
    host: str,
    path: str,
    rate: int,
    *,
    gunicorn: int,
    worker: int,
    latencies: object,
    workdir: Path,
    cookies: list[str] | None = None,
    seconds: int = SECONDS,
) -> PipelineFigure:
    """Post `rate` comments a second for SECONDS, wait until every one is decided, and read
    post → decided from the database: decided_at - created_at, both set by the server."""
    tag = f"rate{rate}-{secrets.token_hex(4)}"
    env = {"LOAD_MODE": "post", "LOAD_PATH": path, "LOAD_TAG": tag}
    if cookies is not None:
        env |= {"LOAD_COOKIES": json.dumps(cookies[:rate]), "LOAD_CSRF": secrets.token_hex(16)}
    web, work = tree_cpu_seconds(gunicorn), tree_cpu_seconds(worker)
    result = locust(host, rate, env, workdir, seconds)
    web = tree_cpu_seconds(gunicorn) - web
    deadline = time.monotonic() + 300
    while True:
        rows: list[tuple[float, float | None]] = latencies(tag)  # type: ignore[operator]
        if all(decided is not None for _, decided in rows) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    work = tree_cpu_seconds(worker) - work
    waits = [(decided - created) * 1000 for created, decided in rows if decided is not None]
    return PipelineFigure(
        posted=len(rows),
        failures=result.failures + len(rows) - len(waits),
        p50_ms=percentile(waits, 0.5) if waits else float("nan"),
        p99_ms=percentile(waits, 0.99) if waits else float("nan"),
        web_cpu_ms=web * 1000 / max(len(rows), 1),
        worker_cpu_ms=work * 1000 / max(len(rows), 1),
    )


def latencies_from(table: str):  # type: ignore[no-untyped-def]
    from django.db import connection

    def read(tag: str) -> list[tuple[float, float | None]]:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT extract(epoch FROM created_at), extract(epoch FROM decided_at) "  # noqa: S608
                f"FROM {table} WHERE body LIKE %s",
                [f"{tag} %"],
            )
            return [
                (float(created), None if decided is None else float(decided))
                for created, decided in cursor.fetchall()
            ]

    return read


def ratio(ours: float, anchor: float) -> str:
    return f"{ours / anchor:6.1f}x" if anchor > 0 else "    - "


def main() -> None:
    port = int(os.environ.get("BENCH_LOAD_PORT", "8310"))
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/9")
    server = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    for forbidden in ("/0", "/10", "/15"):
        if redis_url.endswith(forbidden):
            raise SystemExit(f"bench-load: REDIS_URL {redis_url} is a db others use")
    # A Ctrl-C or a kill runs the `finally` blocks: servers stopped, database dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    # Even when started in the background by a shell that ignores SIGINT for its children.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with (
        tempfile.TemporaryDirectory(prefix="bench-load-") as tmp,
        fresh_database(server) as database_url,
    ):
        workdir = Path(tmp)
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_hex(32),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback, no TLS proxy
            "DJANGO_STATIC_ROOT": str(workdir / "static"),
            "LOG_LEVEL": "WARNING",
            # Measure the pipeline, not the throttle nor the nudge (its figures: bench_live.py).
            "COMMENT_RATE_LIMIT": str(10**6),
            "COMMENT_NUDGE_ENABLED": "0",
        }
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        os.environ["DJANGO_SETTINGS_MODULE"] = "newsroom.settings"
        import django

        django.setup()
        from django.core.management import call_command

        print(f"load mode (PostgreSQL, gunicorn 2 workers, Celery concurrency 2, {SECONDS} s each)")
        with open(os.devnull, "w") as quiet:
            call_command("migrate", verbosity=0)
            call_command("collectstatic", interactive=False, verbosity=0)
            call_command("train_classifier", "--limit", "3000", stdout=quiet)
        data = seed()
        print(f"  seeded {data['comments']:,} comments, {HELD_COMMENTS:,} held")
        from django.db import connection

        connection.close()

        services = Services(workdir)
        try:
            config = ROOT / "deploy" / "gunicorn.conf.py"
            gunicorn_args = ["--config", str(config), "--workers", "2"]
            web = services.start(
                "web",
                [str(BIN / "gunicorn"), "newsroom.wsgi", *gunicorn_args, "-b", f"127.0.0.1:{port}"],
                env,
                ROOT,
            )
            anchor_env = {
                **env,
                "DJANGO_SETTINGS_MODULE": "bench_anchor.settings",
                "PYTHONPATH": str(SCRIPTS),
            }
            anchor = services.start(
                "anchor",
                [
                    *(str(BIN / "gunicorn"), "bench_anchor.wsgi", *gunicorn_args),
                    *("-b", f"127.0.0.1:{port + 1}"),
                ],
                anchor_env,
                SCRIPTS,
            )
            celery = [str(BIN / "celery"), "-A"]
            quiet_worker = ["--concurrency", "2", "-l", "WARNING", "--without-gossip"]
            quiet_worker += ["--without-mingle", "--without-heartbeat"]
            worker = services.start(
                "worker",
                [*celery, "newsroom", "worker", "-n", f"load-{port}@%h", *quiet_worker],
                env,
                ROOT,
            )
            anchor_worker = services.start(
                "anchor-worker",
                [
                    *(*celery, "bench_anchor.celery_worker", "worker", "-Q", "bench-anchor"),
                    *("-n", f"anchor-{port}@%h", *quiet_worker),
                ],
                anchor_env,
                SCRIPTS,
            )
            ours, theirs = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port + 1}"
            wait_for(f"{ours}/healthz")
            wait_for(f"{theirs}/hello/")
            article = str(data["article"])
            for url in (f"{ours}{article}", f"{theirs}/comments/"):  # each worker warm
                for _ in range(4):
                    wait_for(url)
            check_page(f"{ours}{article}", "")
            check_page(f"{ours}/moderation/", str(data["moderator"]))
            rss, anchor_rss = children_rss_mb(web), children_rss_mb(anchor)

            hello = measure_page(theirs, anchor, "/hello/", workdir)
            twenty = measure_page(theirs, anchor, "/comments/", workdir)
            page = measure_page(ours, web, article, workdir)
            queue = None
            if not ARTICLE_ONLY:
                queue = measure_page(ours, web, "/moderation/", workdir, str(data["moderator"]))
            pipelines = []
            # Not measured: the workers' first tasks (the model loads, connections open).
            for planned in () if ARTICLE_ONLY else (0, *POST_RATES):
                rate, seconds = (planned, SECONDS) if planned else (4, 3)
                pipelines.append(
                    (
                        rate,
                        measure_pipeline(
                            ours,
                            str(data["post"]),
                            rate,
                            gunicorn=web,
                            worker=worker,
                            latencies=latencies_from("comments_comment"),
                            workdir=workdir,
                            cookies=list(data["posters"]),  # type: ignore[call-overload]
                            seconds=seconds,
                        ),
                        measure_pipeline(
                            theirs,
                            "/post/",
                            rate,
                            gunicorn=anchor,
                            worker=anchor_worker,
                            latencies=latencies_from("bench_anchor_comment"),
                            workdir=workdir,
                            seconds=seconds,
                        ),
                    )
                )
            pipelines = pipelines[1:]
        finally:
            services.stop()
            from django.db import connection

            connection.close()

    def page_line(name: str, figure: PageFigure, anchor: PageFigure, anchor_name: str) -> None:
        failed = f", {figure.failures} failed" if figure.failures else ""
        print(
            f"  {name:<34} {figure.cpu_ms:7.2f} ms CPU/request, {figure.rps:6.0f} rps, "
            f"p50 {figure.p50_ms:5.0f} ms{failed} | {anchor_name} {anchor.cpu_ms:6.2f} ms CPU, "
            f"{anchor.rps:6.0f} rps | {ratio(figure.cpu_ms, anchor.cpu_ms)} CPU, "
            f"{ratio(anchor.rps, figure.rps)} fewer rps"
        )

    print(f"  anchor: no-query view {hello.cpu_ms:.2f} ms CPU/request, {hello.rps:.0f} rps")
    page_line("anonymous article, 200 comments", page, twenty, "anchor 20 comments")
    if queue is not None:
        page_line("moderation queue, first page", queue, twenty, "anchor 20 comments")
    page_line("anonymous article vs no-query view", page, hello, "anchor no query  ")
    for rate, figure, anchor_figure in pipelines:
        failed = f", {figure.failures} failed or undecided" if figure.failures else ""
        print(
            f"  post -> decided at {rate} posts/s: p50 {figure.p50_ms:6.0f} ms, "
            f"p99 {figure.p99_ms:6.0f} ms ({figure.posted} posts{failed}); "
            f"web {figure.web_cpu_ms:5.1f} + worker {figure.worker_cpu_ms:5.1f} ms CPU/post | "
            f"anchor no-op task: p50 {anchor_figure.p50_ms:5.0f} ms, "
            f"p99 {anchor_figure.p99_ms:5.0f} ms, web {anchor_figure.web_cpu_ms:4.1f} + worker "
            f"{anchor_figure.worker_cpu_ms:4.1f} ms CPU/post | "
            f"p99 {ratio(figure.p99_ms, anchor_figure.p99_ms)}, worker CPU "
            f"{ratio(figure.worker_cpu_ms, anchor_figure.worker_cpu_ms)}"
        )
    print(
        f"  web worker RSS before any scoring: {max(rss):.0f} MB (each of {len(rss)}: "
        f"{', '.join(f'{r:.0f}' for r in rss)}) | anchor {max(anchor_rss):.0f} MB | "
        f"{ratio(max(rss), max(anchor_rss))}"
    )


if __name__ == "__main__":
    main()
