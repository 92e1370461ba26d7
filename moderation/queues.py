"""The moderation queues: which comments each one holds, and how many, in one query."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models
from django.db.models import Count, Exists, OuterRef, Q

from comments.models import Comment, CommentQuerySet, CommentStatus, Report


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
        return Exists(Report.objects.open().filter(comment=OuterRef("pk")))
    if queue == Queue.UNSCORED:
        return Q(status=CommentStatus.PENDING) | Q(status=CommentStatus.HELD, risk__isnull=True)
    if queue == Queue.PUBLISHED:
        return Q(status=CommentStatus.PUBLISHED)
    if queue == Queue.REJECTED:
        return Q(status=CommentStatus.REJECTED)
    if queue == Queue.ALL:
        return Q()
    raise ValueError(f"unknown queue {queue!r}")


def in_queue(comments: CommentQuerySet, queue: str) -> CommentQuerySet:
    return comments.filter(condition(queue))


@dataclass(frozen=True)
class AuthorRecord:
    comments: int = 0
    rejected: int = 0
    decided: int = 0  # published or rejected: the base of the rejection rate


def author_records(author_ids: Iterable[int]) -> dict[int, AuthorRecord]:
    """Each author's record (all their comments): one aggregate query, however many authors."""
    rows = (
        Comment.objects.filter(author_id__in=list(author_ids))
        .order_by()
        .values("author_id")
        .annotate(
            comments=Count("id"),
            rejected=Count("id", filter=Q(status=CommentStatus.REJECTED)),
            decided=Count(
                "id", filter=Q(status__in=[CommentStatus.PUBLISHED, CommentStatus.REJECTED])
            ),
        )
    )
    return {
        row["author_id"]: AuthorRecord(row["comments"], row["rejected"], row["decided"])
        for row in rows
    }


def counts(comments: CommentQuerySet) -> dict[str, int]:
    """How many of `comments` each queue holds: one aggregate query, however many comments."""
    totals = {
        queue.value: Count("id", filter=condition(queue)) if queue != Queue.ALL else Count("id")
        for queue in Queue
    }
    return comments.order_by().aggregate(**totals)
