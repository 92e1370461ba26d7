"""Print the scoring throughput of a real Celery worker (concurrency 2): `make bench`.

Beside it, in the same run, the anchor: the active model alone scoring the same texts in one
batch in this process. The worker's figure covers everything a comment costs it (the task, the
claim, the model, the rules, the policy, the decision and its audit row); its CPU is read from
/proc for the worker's processes. Runs the batched path (SCORING_BATCH_SIZE, the default), then
one comment per task (SCORING_BATCH_SIZE=1) for comparison.

Against a throwaway test database (SQLite by default, or DATABASE_URL's server) and the Redis at
REDIS_URL (its `celery` queue must be idle: `make bench` gives it a database of its own).
Prints figures, asserts nothing.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
# Not db 15, which the tests use, nor db 0, which `make run`'s worker consumes from.
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/9")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from scripts.proc_cpu import tree_cpu_seconds  # noqa: E402

BATCHED_COMMENTS = 3000
ONE_BY_ONE_COMMENTS = 600
WARM_UP = 20
TIMEOUT = 300.0

SENTENCES = [
    "I read the whole article and I think the council waited far too long.",
    "Thanks for the clear reporting on the budget; the figures on page two surprised me.",
    "The bus timetable changes will hurt people who work night shifts.",
    "You are an idiot if you believe a word of this.",
    "Buy cheap watches at cheap-watches.shop, best prices today!!!",
    "My grandmother lived on that street for forty years and remembers the flood.",
    "What a stupid decision, the people behind it should be ashamed.",
    "Could the paper publish the full report rather than a summary?",
    "Great match last night, the second half was something else.",
    "This is the third closure this year and nobody from the council has explained why.",
]


def texts(count: int, start: int) -> list[str]:
    return [f"{SENTENCES[i % len(SENTENCES)]} ({start + i})" for i in range(count)]


def database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user, host, port = settings["USER"], settings["HOST"], settings["PORT"] or 5432
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"


def model_anchor(count: int) -> tuple[float, float]:
    """The active model alone, one batch of `count` texts: (comments/s, CPU ms per comment)."""
    from comments.model_versions import get_active_model

    model = get_active_model()
    assert model is not None
    batch = texts(count, 0)
    model.score_many(batch[:50])  # warm up
    wall, cpu = time.perf_counter(), time.process_time()
    model.score_many(batch)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return count / wall, cpu * 1000 / count


def run_worker(batch_size: int, count: int, first: int) -> tuple[float, float, int]:
    """Post `count` pending comments, enqueue a task for each, and wait until all are decided
    by a fresh worker: (comments/s, worker CPU ms per comment, comments scored in batches)."""
    from django.contrib.auth import get_user_model

    from articles.models import Article
    from comments.models import Comment
    from comments.tasks import score_comment

    article = Article.objects.get(slug="bench-scoring")
    authors = list(get_user_model().objects.filter(username__startswith="bench-scorer"))
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "SCORING_BATCH_SIZE": str(batch_size),
        "LOG_LEVEL": "WARNING",
        # Production settings, as a deployed worker runs (DEBUG would record every query).
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_hex(32),
    }
    worker = subprocess.Popen(  # noqa: S603 (our own celery)
        [
            *(str(Path(sys.executable).with_name("celery")), "-A", "newsroom", "worker"),
            *("--concurrency", "2", "-n", f"bench-scoring-{batch_size}@%h", "-l", "WARNING"),
            *("--without-gossip", "--without-mingle", "--without-heartbeat"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )

    def post_and_wait(bodies: list[str]) -> None:
        created = Comment.objects.bulk_create(
            Comment(article=article, author=authors[i % len(authors)], body=body)
            for i, body in enumerate(bodies)
        )
        for comment in created:
            score_comment.apply_async(args=(comment.pk,), retry=False)
        deadline = time.monotonic() + TIMEOUT
        while Comment.objects.pending().exists():
            if time.monotonic() > deadline or worker.poll() is not None:
                raise SystemExit("scoring benchmark: the worker did not decide every comment")
            time.sleep(0.02)

    try:
        post_and_wait(texts(WARM_UP, first))  # the worker starts and loads the model
        cpu = tree_cpu_seconds(worker.pid)
        started = time.perf_counter()
        post_and_wait(texts(count, first + WARM_UP))
        wall = time.perf_counter() - started
        cpu = tree_cpu_seconds(worker.pid) - cpu
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    batched = Comment.objects.filter(scoring_attempts=1, pk__gt=0).count()
    return count / wall, cpu * 1000 / count, batched


def main() -> None:
    from django.contrib.auth import get_user_model

    from articles.models import Article

    print(f"scoring throughput ({connection.vendor}, a Celery worker with concurrency 2):")
    with open(os.devnull, "w") as quiet:
        call_command("train_classifier", "--limit", "3000", stdout=quiet)
    Article.objects.create(slug="bench-scoring", title="Scoring", body="One.")
    for i in range(20):
        get_user_model().objects.create_user(f"bench-scorer-{i}")

    rate, cpu = model_anchor(BATCHED_COMMENTS)
    print(f"  model alone (anchor), one batch:  {rate:8.0f} comments/s, {cpu:6.3f} ms CPU each")
    for batch_size, count, first in [
        (int(os.environ.get("SCORING_BATCH_SIZE", 32)), BATCHED_COMMENTS, 0),
        (1, ONE_BY_ONE_COMMENTS, 10**6),
    ]:
        worker_rate, worker_cpu, _ = run_worker(batch_size, count, first)
        print(
            f"  worker, batches of {batch_size:<3}           {worker_rate:8.0f} comments/s, "
            f"{worker_cpu:6.3f} ms worker CPU each; "
            f"{rate / worker_rate:5.1f}x the model's time, {worker_cpu / cpu:5.1f}x its CPU"
        )


if __name__ == "__main__":
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        main()
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)
