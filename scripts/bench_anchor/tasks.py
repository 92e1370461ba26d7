"""The anchor's Celery app and its no-op decision: one UPDATE of the row posted."""

import os

from celery import Celery
from django.utils import timezone

app = Celery("bench_anchor", broker=os.environ["REDIS_URL"])
app.conf.update(
    task_default_queue="bench-anchor",
    task_ignore_result=True,
    task_acks_late=True,
    worker_prefetch_multiplier=1,
)


@app.task
def decide(pk: int) -> None:
    from bench_anchor.models import Comment

    Comment.objects.filter(pk=pk).update(decided_at=timezone.now())
