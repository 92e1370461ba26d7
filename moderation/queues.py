"""The moderation queues: which comments each one holds, and how many, in one query."""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.db.models import Count, Exists, OuterRef, Q

from comments.models import (
    UNSCORED,
    CommentQuerySet,
    CommentStatus,
    Report,
    has_open_report,
)


class Queue(models.TextChoices):
    HELD = "held", "Held"
    REPORTED = "reported", "Reported"
    UNSCORED = "unscored", "Pending / unscored"
    PUBLISHED = "published", "Published"
    REJECTED = "rejected", "Rejected"
    ALL = "all", "All"


def condition(queue: str) -> Q | Exists:
    """The filter a queue applies, as one expression: usable in filter() and in Count(filter=)."""
    if queue == Queue.HELD:
        return Q(status=CommentStatus.HELD)
    if queue == Queue.REPORTED:
        # Open reports on any status: a report on a published comment must reach a moderator.
        return has_open_report()
    if queue == Queue.UNSCORED:
        return UNSCORED
    if queue == Queue.PUBLISHED:
        return Q(status=CommentStatus.PUBLISHED)
    if queue == Queue.REJECTED:
        return Q(status=CommentStatus.REJECTED)
    if queue == Queue.ALL:
        return Q()
    raise ValueError(f"unknown queue {queue!r}")


def in_queue(comments: CommentQuerySet, queue: str) -> CommentQuerySet:
    return comments.filter(condition(queue))


def counts(comments: CommentQuerySet) -> dict[str, int]:
    """How many of `comments` each queue holds: one aggregate query, however many comments."""
    totals = {
        queue.value: Count("id", filter=condition(queue)) if queue != Queue.ALL else Count("id")
        for queue in Queue
    }
    return comments.order_by().aggregate(**totals)


def arrived_since(since: datetime) -> Q:
    """Comments that may have entered a queue after `since`: posted, decided (held by the model,
    or a moderator's undo) or reported since. With a queue's filter, the ones that did."""
    reported = Exists(Report.objects.filter(comment=OuterRef("pk"), created_at__gt=since))
    return Q(created_at__gt=since) | Q(decided_at__gt=since) | Q(reported)
