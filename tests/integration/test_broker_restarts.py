"""A Redis restart under load loses neither the worker nor a comment (issue 10, "Faults").

The incident: comments posted at about 12 a second while a worker scored them, Redis stopped
with `SHUTDOWN NOSAVE` and started again 3 s later; in 4 of 11 restarts the worker died with
`Unrecoverable error: AttributeError("'NoneType' object has no attribute 'hostname'")`.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from django.db import connections
from django.db.models import Count

from comments import services, tasks
from comments.models import Comment, EventAction, ModerationEvent
from tests.factories import make_article, make_user
from tests.workers import (
    CeleryWorker,
    celery_broker,
    private_redis,
    require_postgresql_under_ci,
    worker_env,
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

RESTARTS = 10
OUTAGE_SECONDS = 3.0  # the fault itself: how long Redis stays down, as in the incident
POSTS_PER_SECOND = 12.0
RECONNECT_TIMEOUT = 60.0
SETTLE_TIMEOUT = 120.0
# The production worker's pool (deploy/systemd/newsroom-worker.service), gossip and all.
WORKER_ARGS = ["-A", "newsroom", "worker", "-l", "INFO", "--concurrency", "2", "-n", "chaos@%h"]


class Poster(threading.Thread):
    """Post comments through the service at a steady rate until stopped, as readers would."""

    def __init__(self, article: Any, author: Any) -> None:
        super().__init__(name="poster", daemon=True)
        self.article, self.author = article, author
        self.stopping = threading.Event()
        self.posted = 0

    def run(self) -> None:
        try:
            while not self.stopping.wait(1 / POSTS_PER_SECOND):
                services.submit_comment(
                    article=self.article, author=self.author, body=f"Comment {self.posted}."
                )
                self.posted += 1
        finally:
            connections.close_all()  # this thread's own connections

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=30)


def sweep_until_decided(worker: CeleryWorker) -> None:
    """Run the sweeper (as beat would) until no comment is pending, or fail at the deadline."""
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while Comment.objects.pending().exists():
        if time.monotonic() > deadline or worker.exited:
            pending = list(Comment.objects.pending().values_list("id", flat=True))
            pytest.fail(f"still pending after {SETTLE_TIMEOUT:.0f} s: {pending}", pytrace=False)
        # Redis lost whatever was queued at each SHUTDOWN NOSAVE: the sweeper brings it back.
        tasks.sweep_pending(older_than=timedelta(seconds=5))
        time.sleep(1)


def test_it_keeps_the_worker_and_decides_every_comment_through_ten_redis_restarts(
    active_classifier: Any,
) -> None:
    require_postgresql_under_ci()
    article, author = make_article(), make_user("rita")
    with private_redis() as server, celery_broker(server.url):
        worker = CeleryWorker(worker_env(server.url), args=WORKER_ARGS)
        poster = Poster(article, author)
        try:
            worker.wait_for(r"celery@\S+ ready\.|chaos@\S+ ready\.", timeout=RECONNECT_TIMEOUT)
            poster.start()
            for restart in range(1, RESTARTS + 1):
                print(f"restart {restart} of {RESTARTS}")  # in the report if the worker dies
                # Restart only while the worker is busy scoring what is being posted.
                worker.wait_for(r"comment \d+ \w+ by model", since=worker.mark())
                since = worker.mark()
                server.shutdown_nosave()
                time.sleep(OUTAGE_SECONDS)
                server.start()
                worker.wait_for(r"Connected to redis://", since=since, timeout=RECONNECT_TIMEOUT)
                assert worker.process.poll() is None, f"worker lost at restart {restart}"
            poster.stop()
            sweep_until_decided(worker)
            assert worker.process.poll() is None, "worker lost after the restarts"
        finally:
            poster.stop()
            worker.stop()
    log = worker.log()
    assert "Unrecoverable error" not in log, log

    assert poster.posted > 0
    assert not Comment.objects.pending().exists()
    scored = (
        ModerationEvent.objects.filter(action=EventAction.SCORED)
        .values("comment")
        .annotate(n=Count("id"))
    )
    assert {row["n"] for row in scored} == {1}, "a comment was decided more than once"
    assert len(scored) == Comment.objects.count() == poster.posted
    print(f"{RESTARTS} restarts survived; {poster.posted} comments posted, each decided once")
