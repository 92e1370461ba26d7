"""The Celery app, configured from Django settings (CELERY_*); tasks live in <app>/tasks.py."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")

app = Celery("newsroom")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# By name: each worker reports its model (or why it has none) for /healthz and /metrics.
app.steps["worker"].add("comments.tasks:WorkerHeartbeat")


@signals.task_prerun.connect
@signals.task_postrun.connect
def close_old_connections(sender: Any = None, **kwargs: Any) -> None:
    """Around each task, as Django does around each request: keep the database connection for
    CONN_MAX_AGE, closing it only when it is obsolete or broken (then checked before reuse).

    Celery's Django fix-up would close it around every task instead (CELERY_DB_REUSE_MAX in
    settings stops that): a new PostgreSQL session costs 8-9.5 ms, more than scoring a comment.
    """
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return  # run in the caller's process (tests): its connection is the caller's business
    from django.db import close_old_connections as close_if_old

    close_if_old()
