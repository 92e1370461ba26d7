"""The moderation queues: which comments each one holds, and how many."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q

from comments.models import (
    UNSCORED,
    CommentQuerySet,
    CommentStatus,
    Report,
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
        # As `pk IN (open reports)` rather than EXISTS per comment: the planner starts from the
        # few open reports (a partial index) instead of probing reports for every comment.
        return Q(pk__in=Report.objects.open().values("comment_id"))
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


def counts(comments: CommentQuerySet) -> dict[str, int | str]:
    """How many of `comments` each queue holds, up to MODERATION_QUEUE_COUNT_CAP ("1,000+"
    beyond it).

    One small query per queue, each stopping at the cap, through the status indexes and the
    open reports' partial index: the cost stays flat however many comments the site has ever
    had, where one aggregate over every comment (with a reports probe per row) grew with them.
    """
    cap = settings.MODERATION_QUEUE_COUNT_CAP
    result: dict[str, int | str] = {}
    for queue in Queue:
        found = in_queue(comments.order_by(), queue)[: cap + 1].count()
        result[queue.value] = found if found <= cap else f"{cap:,}+"
    return result


def arrived_since(since: datetime) -> Q:
    """Comments that may have entered a queue after `since`: posted, decided (held by the model,
    or a moderator's undo) or reported since. With a queue's filter, the ones that did."""
    reported = Exists(Report.objects.filter(comment=OuterRef("pk"), created_at__gt=since))
    return Q(created_at__gt=since) | Q(decided_at__gt=since) | Q(reported)
