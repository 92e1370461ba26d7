"""The Celery app, configured from Django settings (CELERY_*); tasks live in <app>/tasks.py."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")

app = Celery("newsroom")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# By name: each worker reports its model (or why it has none) for /healthz and /metrics.
app.steps["worker"].add("comments.tasks:WorkerHeartbeat")
