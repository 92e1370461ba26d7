from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.db import models
from django.db.models import (
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
)
from django.db.models.fields.json import KeyTransform
from django.db.models.functions import Cast, Coalesce, Lower
from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS, MONTHS_3
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import urlize
from django.utils.safestring import SafeString

from comments import policy
from comments.explanations import LabelTerms, Segment, segments, segments_html, terms_by_label


class CommentStatus(models.TextChoices):
    PENDING = "pending", "Awaiting moderation"
    PUBLISHED = "published", "Published"
    HELD = "held", "Held for review"
    REJECTED = "rejected", "Rejected"


# The state machine of DESIGN.md: which status may follow which.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    CommentStatus.PENDING: frozenset(
        {CommentStatus.PUBLISHED, CommentStatus.HELD, CommentStatus.REJECTED}
    ),
    CommentStatus.HELD: frozenset({CommentStatus.PUBLISHED, CommentStatus.REJECTED}),
    CommentStatus.PUBLISHED: frozenset({CommentStatus.REJECTED}),
    CommentStatus.REJECTED: frozenset({CommentStatus.PUBLISHED}),
}
# Undo is the one, deliberately narrow, exception: for MODERATION_UNDO_SECONDS after a moderator's
# decision (MODERATOR_DECISIONS), that moderator may reverse it exactly, from the event's to_status
# back to its from_status, even where the table above has no such edge (published -> held). It
# applies only while that decision is still the latest event; see moderation.services.undo_decision.


class CommentOrder(models.TextChoices):
    """How readers may sort an article's conversation (its top-level comments)."""

    NEWEST = "newest", "Newest"
    OLDEST = "oldest", "Oldest"
    REPLIES = "replies", "Most replies"
    REACTIONS = "reactions", "Most reactions"


COMMENT_ORDERINGS: dict[str, tuple[str, ...]] = {
    CommentOrder.NEWEST: ("-created_at", "-id"),
    CommentOrder.OLDEST: ("created_at", "id"),
    CommentOrder.REPLIES: ("-reply_count", "-created_at", "-id"),
    CommentOrder.REACTIONS: ("-reaction_count", "-created_at", "-id"),
}


class CommentQuerySet(models.QuerySet["Comment"]):
    def published(self) -> CommentQuerySet:
        return self.filter(status=CommentStatus.PUBLISHED)

    def visible(self) -> CommentQuerySet:
        """What the public sees: published and not hidden by readers' reports."""
        return self.published().filter(hidden_at__isnull=True)

    def held(self) -> CommentQuerySet:
        return self.filter(status=CommentStatus.HELD)

    def pending(self) -> CommentQuerySet:
        return self.filter(status=CommentStatus.PENDING)

    def for_article(self, article: Any) -> CommentQuerySet:
        return self.filter(article=article)

    def by_author(self, user: Any) -> CommentQuerySet:
        return self.filter(author=user)

    def awaiting_scoring(self) -> CommentQuerySet:
        """Comments a worker should score: pending ones, and published ones edited since their
        scores (the edit is scored again while the comment stays up)."""
        return self.filter(
            Q(status=CommentStatus.PENDING)
            | Q(status=CommentStatus.PUBLISHED, scored_revision__lt=F("revision"))
        )

    def refresh_reply_counts(self) -> int:
        """Recount these comments' published, undeleted direct replies: one UPDATE.

        Called in the transaction that publishes, unpublishes or deletes a reply, on its parent
        (or, in bulk, on every parent of the batch), so `reply_count` is a plain column to sort
        by; the article page never counts replies per comment.
        """
        replies = (
            Comment.objects.filter(
                parent=OuterRef("pk"), status=CommentStatus.PUBLISHED, deleted_at__isnull=True
            )
            .order_by()
            .values("parent")
            .annotate(n=Count("id"))
            .values("n")
        )
        return self.update(reply_count=Coalesce(Subquery(replies, output_field=IntegerField()), 0))

    def top_level(self) -> CommentQuerySet:
        return self.filter(depth=0)

    def in_threads(self, roots: Iterable[Any]) -> CommentQuerySet:
        """Every reply, at any depth, under these top-level comments: one query for a page."""
        return self.filter(root__in=roots)

    def featured(self) -> CommentQuerySet:
        return self.filter(featured_at__isnull=False).order_by("-featured_at", "-id")

    def sorted_by(self, order: str) -> CommentQuerySet:
        """Order by one of CommentOrder's values (oldest first for anything else)."""
        return self.order_by(*COMMENT_ORDERINGS.get(order, COMMENT_ORDERINGS[CommentOrder.OLDEST]))

    def awaiting_decision(self) -> CommentQuerySet:
        """Comments an author still waits on: not yet scored, or held for a moderator."""
        return self.filter(status__in=[CommentStatus.PENDING, CommentStatus.HELD])

    def for_moderation(self) -> CommentQuerySet:
        """Join what a moderator's card shows, leaving out the model's (megabytes of) bytes."""
        return self.select_related("article", "author", "model_version").defer(
            "model_version__artifact"
        )

    def riskiest_first(self) -> CommentQuerySet:
        # Unscored comments (risk NULL) come after scored ones: their risk is unknown, and the
        # page says plainly when comments are waiting unscored.
        return self.order_by(F("risk").desc(nulls_last=True), "created_at", "id")

    def rejected(self) -> CommentQuerySet:
        return self.filter(status=CommentStatus.REJECTED)

    def containing(self, text: str) -> CommentQuerySet:
        # icontains rather than full-text search: it needs no index (so no migration), behaves
        # the same on SQLite and PostgreSQL, and `make bench` measures it on a 10,000-comment
        # queue. Full-text search is the upgrade when queues grow past what a scan serves.
        return self.filter(body__icontains=text)

    def scoring_between(
        self, low: float | None, high: float | None, *, label: str | None = None
    ) -> CommentQuerySet:
        """Comments whose score for `label` (the highest score, without one) is in [low, high]."""
        qs = self.annotate(filter_score=score_of(label))
        if low is not None:
            qs = qs.filter(filter_score__gte=low)
        if high is not None:
            qs = qs.filter(filter_score__lte=high)
        return qs

    def posted_between(self, start: Any = None, end: Any = None) -> CommentQuerySet:
        """Comments posted in [start, end): datetimes, either of them None for open-ended."""
        qs = self
        if start is not None:
            qs = qs.filter(created_at__gte=start)
        if end is not None:
            qs = qs.filter(created_at__lt=end)
        return qs

    def riskiest_by(self, label: str | None = None) -> CommentQuerySet:
        """Riskiest first by one label's score, or by the highest score without a label."""
        if label is None:
            return self.riskiest_first()
        return self.order_by(score_of(label).desc(nulls_last=True), "created_at", "id")

    def longest_waiting_first(self) -> CommentQuerySet:
        return self.order_by("created_at", "id")

    def newest_first(self) -> CommentQuerySet:
        return self.order_by("-created_at", "-id")

    def reported(self) -> CommentQuerySet:
        """Comments with at least one open report, whatever their status (published included)."""
        return self.filter(has_open_report())

    def with_report_counts(self) -> CommentQuerySet:
        """Annotate `open_report_count`: one correlated subquery, no query per card."""
        open_reports = (
            Report.objects.open()
            .filter(comment=OuterRef("pk"))
            .order_by()
            .values("comment")
            .annotate(n=Count("id"))
            .values("n")
        )
        return self.annotate(
            open_report_count=Coalesce(Subquery(open_reports, output_field=IntegerField()), 0)
        )

    def with_open_reports(self) -> CommentQuerySet:
        """Prefetch each comment's open reports (oldest first) into `open_reports`: one query."""
        return self.prefetch_related(
            Prefetch(
                "reports",
                queryset=Report.objects.open()
                .select_related("reporter", "reporter__standing")
                .order_by("created_at"),
                to_attr="open_reports",
            )
        )

    def author_records(self, author_ids: Iterable[int]) -> dict[int, AuthorRecord]:
        """Each author's record over all their comments here: one query, however many authors.

        Grouped rather than annotated on a page's comments: SQLite would compute an annotation
        for every comment in the queue before sorting and cutting the page.
        """
        wanted = set(author_ids)
        rows = (
            self.filter(author_id__in=wanted)
            .order_by()
            .values("author_id")
            .annotate(
                comments=Count("id"),
                published=Count("id", filter=Q(status=CommentStatus.PUBLISHED)),
                held=Count("id", filter=Q(status=CommentStatus.HELD)),
                rejected=Count("id", filter=Q(status=CommentStatus.REJECTED)),
            )
        )
        records = {
            row["author_id"]: AuthorRecord(
                row["comments"], row["published"], row["held"], row["rejected"]
            )
            for row in rows
        }
        return {pk: records.get(pk, AuthorRecord()) for pk in wanted}

    def scoring_backlog(self, stuck_after: timedelta) -> dict[str, int]:
        """How many comments wait to be scored (`pending`), and how many were posted longer ago
        than `stuck_after` (`stuck`). By posting time, not by the last request to score: the
        sweeper re-enqueues a comment every interval while the workers are down, and that must
        not make the moderators' banner blink off."""
        return self.pending().aggregate(
            pending=Count("id"),
            stuck=Count("id", filter=Q(created_at__lt=timezone.now() - stuck_after)),
        )

    def unchanged_by_others_since(self, when: datetime, *, moderator: Any) -> CommentQuerySet:
        """Comments nobody but `moderator` (no other moderator, not the model) has acted on since
        `when`: what a bulk decision over the page they loaded then may still change."""
        acted = ModerationEvent.objects.filter(comment=OuterRef("pk"), created_at__gt=when).exclude(
            actor_id=moderator.pk
        )
        return self.exclude(Exists(acted))

    def due_for_scoring_again(self, older_than: timedelta) -> CommentQuerySet:
        """Pending comments the sweeper should enqueue again: fewer than SCORING_MAX_ATTEMPTS
        workers began to score them.

        Due once the last request to score is older than `older_than` and than the wait before
        it: each re-request doubles the wait. While the workers work through a backlog a
        comment's first task is still queued, and re-enqueueing it every `older_than` would pile
        copies on the backlog; this way a comment queued for an hour is asked for ~6 times, not
        60. A failed enqueue (the broker down) does not move `scoring_requested_at`, so an
        outage never lengthens the wait.
        """
        now = timezone.now()
        waited_before = ExpressionWrapper(
            F("scoring_requested_at") - F("created_at"), output_field=DurationField()
        )
        return (
            self.awaiting_scoring()
            .filter(scoring_attempts__lt=settings.SCORING_MAX_ATTEMPTS)
            .alias(waited_before=waited_before)
            .filter(scoring_requested_at__lt=now - older_than)
            .filter(
                scoring_requested_at__lt=ExpressionWrapper(
                    Value(now) - F("waited_before"), output_field=DateTimeField()
                )
            )
        )

    def out_of_attempts(self) -> CommentQuerySet:
        """Comments awaiting scoring (new, or a published one's edit) that SCORING_MAX_ATTEMPTS
        workers began to score, none finishing."""
        return self.awaiting_scoring().filter(scoring_attempts__gte=settings.SCORING_MAX_ATTEMPTS)


# Comments no model has scored: pending, or held because no model was active. A condition rather
# than a QuerySet method, so that the queues can count by it as well as filter.
UNSCORED = Q(status=CommentStatus.PENDING) | Q(status=CommentStatus.HELD, risk__isnull=True)


def has_open_report() -> Exists:
    """Whether a comment has an open report, whatever its status: to filter by, or count by."""
    return Exists(Report.objects.open().filter(comment=OuterRef("pk")))


@dataclass(frozen=True)
class AuthorRecord:
    """How an author's comments have fared: what the queue's cards and the author drawer show."""

    comments: int = 0
    published: int = 0
    held: int = 0
    rejected: int = 0

    @property
    def decided(self) -> int:
        """Published or rejected: the base of the rejection rate."""
        return self.published + self.rejected

    @property
    def rejection_rate(self) -> float | None:
        return self.rejected / self.decided if self.decided else None


@dataclass
class EditVersion:
    """One version of an edited comment, for the moderators' edit history."""

    number: int
    body: str
    status: str
    scores: dict[str, float]
    written_at: datetime | None
    # [(kind, text)]: kind is "equal", "insert" or "delete", against the version before.
    diff: list[tuple[str, str]]
    current: bool = False


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """The words deleted and inserted between two texts (difflib), whitespace kept."""
    a, b = re.split(r"(\s+)", old), re.split(r"(\s+)", new)
    out: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op in ("delete", "replace"):
            out.append(("delete", "".join(a[i1:i2])))
        if op in ("insert", "replace"):
            out.append(("insert", "".join(b[j1:j2])))
        if op == "equal":
            out.append(("equal", "".join(a[i1:i2])))
    return out


def score_of(label: str | None) -> Cast | F:
    """A comment's score for one label, as a float the database can compare and sort on.

    Cast because PostgreSQL's `->` yields jsonb; SQLite's JSON_EXTRACT already yields a number.
    """
    if label is None:
        return F("risk")
    return Cast(KeyTransform(label, "scores"), FloatField())


class ShownTime(NamedTuple):
    """A time as a comment shows it: `|date:"c"`, `|date:"j F Y, H:i"`, `|date:"j M Y, H:i"`."""

    iso: str
    long: str
    short: str


def shown_time(value: datetime) -> ShownTime:
    """Format a comment's time once, as those three date filters print it in the current time
    zone. Performance: each filter call cost about 50 µs, three per comment, a quarter of the
    article page's rendering (issue 15); tests/comments/test_article_page.py checks the equality.
    """
    # As the filters' template_localtime: into the current time zone when USE_TZ.
    local = timezone.localtime(value) if settings.USE_TZ and timezone.is_aware(value) else value
    clock = f"{local.hour:02d}:{local.minute:02d}"
    day, year = local.day, f"{local.year:04d}"
    return ShownTime(
        local.isoformat(),
        f"{day} {MONTHS[local.month]} {year}, {clock}",
        f"{day} {str(MONTHS_3[local.month]).title()} {year}, {clock}",
    )


class Comment(models.Model):
    article = models.ForeignKey(
        "articles.Article", on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    # The top-level comment of its thread (NULL for a top-level comment): the article page loads
    # every reply of a page's threads with one `root__in` query, whatever their shape.
    root = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # 0 for a top-level comment; replies nest to COMMENT_MAX_DEPTH and deeper ones stay there,
    # shown flat with "in reply to @name" (`parent` still names the comment answered).
    depth = models.PositiveSmallIntegerField(default=0)
    # Counters kept in the transaction that changes them, so the page never counts per comment:
    # the published, undeleted direct replies, and the readers' reactions.
    reply_count = models.PositiveIntegerField(default=0)
    reaction_count = models.PositiveIntegerField(default=0)
    featured_at = models.DateTimeField(null=True, blank=True)
    # Soft delete by its author: the thread keeps its shape, moderators still see the text.
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Bumped by every edit; `scored_revision` is the revision the stored scores are for. A
    # scoring task decides only the revision it read (see comments.scoring), so an edit made
    # while a worker scores the old text is never decided on the old text's scores.
    revision = models.PositiveIntegerField(default=0)
    scored_revision = models.PositiveIntegerField(default=0)
    body = models.TextField()
    status = models.CharField(
        max_length=20, choices=CommentStatus.choices, default=CommentStatus.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    # When scoring was last asked for: set on posting and by every sweep that re-enqueues it.
    scoring_requested_at = models.DateTimeField(default=timezone.now)
    # How many times a worker began scoring it, and why the last attempt failed: after
    # SCORING_MAX_ATTEMPTS it is held, unscored, for a person (scoring.hold_unscorable).
    scoring_attempts = models.PositiveIntegerField(default=0)
    scoring_error = models.CharField(max_length=500, blank=True)
    # The worker scoring it now, in a batch (comments.scoring.claim_for_scoring), and since when:
    # others leave it alone for SCORING_CLAIM_SECONDS, after which a dead worker's claim lapses.
    scoring_claim = models.CharField(max_length=64, blank=True)
    scoring_claimed_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # Latest scores, {label: probability}, and the highest of them (the queue's sort key).
    scores = models.JSONField(default=dict, blank=True)
    risk = models.FloatField(null=True, blank=True)
    reason_codes = models.JSONField(default=list, blank=True)
    # Set when enough distinct readers reported this published comment: the public stops seeing
    # it until a moderator decides. Status stays `published` (the state machine is unchanged);
    # approving clears it, rejecting removes the comment anyway.
    hidden_at = models.DateTimeField(null=True, blank=True)
    # {label: [{"start": int, "end": int, "weight": float}, ...]}: the spans of `body` that pushed
    # each label's score up most, strongest first; the queue highlights them.
    explanations = models.JSONField(default=dict, blank=True)
    model_version = models.ForeignKey(
        "comments.ClassifierModel",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="comments",
    )

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        permissions = [("moderate_comment", "Can moderate comments")]
        indexes = [
            models.Index(fields=["article", "status", "created_at"]),
            # (PostgreSQL also gets an index in riskiest_first's exact order: migration 0005.)
            models.Index(fields=["status", "risk"]),
            models.Index(fields=["author", "created_at"]),
            models.Index(fields=["status", "scoring_requested_at"]),
            models.Index(fields=["article", "featured_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=CommentStatus.values), name="comment_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Comment {self.pk} by {self.author} on {self.article}"

    def get_absolute_url(self) -> str:
        return reverse("comments:detail", kwargs={"pk": self.pk})

    @property
    def is_pending(self) -> bool:
        return self.status == CommentStatus.PENDING

    @property
    def is_published(self) -> bool:
        return self.status == CommentStatus.PUBLISHED

    # Cached per instance: a queue card asks for these several times while it renders.
    @cached_property
    def thresholds(self) -> dict[str, policy.Thresholds]:
        """The thresholds this comment was decided against: its model version's own, if any."""
        version = self.model_version if self.model_version_id else None
        model = version.thresholds if version is not None else None
        return policy.effective_thresholds(model, settings.MODERATION_THRESHOLDS)

    def refresh_parent_reply_count(self) -> None:
        """Recount its parent's replies, inside the transaction that changed whether it counts
        (published or not, deleted or not); nothing for a top-level comment."""
        if self.parent_id is not None:
            Comment.objects.filter(pk=self.parent_id).refresh_reply_counts()

    @property
    def needs_scoring(self) -> bool:
        """Pending, or published and edited since it was scored (see `awaiting_scoring`)."""
        return self.is_pending or (self.is_published and self.scored_revision < self.revision)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def editable_until(self) -> datetime:
        return self.created_at + timedelta(seconds=settings.COMMENT_EDIT_WINDOW_SECONDS)

    def can_be_edited(self, at: datetime | None = None) -> bool:
        """Whether its author may still edit it: inside the window, not deleted or rejected."""
        return (
            not self.is_deleted
            and self.status != CommentStatus.REJECTED
            and (at or timezone.now()) < self.editable_until
        )

    @property
    def can_be_answered(self) -> bool:
        """Whether readers may reply to it or react to it: public and not deleted."""
        return self.is_visible and not self.is_deleted

    @cached_property
    def shown_created(self) -> ShownTime:
        return shown_time(self.created_at)

    @cached_property
    def shown_edited(self) -> ShownTime | None:
        return shown_time(self.edited_at) if self.edited_at else None

    @cached_property
    def body_html(self) -> str:
        """The body as readers see it: escaped, line breaks kept, links clickable if public.

        Django's `urlize` rather than bleach's linkify (bleach is deprecated since 2023):
        `urlize` escapes the text itself (autoescape) and only then adds anchors, so reader
        text can never inject markup. Its rel is only "nofollow"; a reader's text cannot
        contain the literal ` rel="nofollow"` (its quotes are escaped), so widening exactly
        that attribute is safe. Links only once public: a pending comment links nothing.
        """
        if not self.is_visible:
            return linebreaksbr(self.body, autoescape=True)
        linked = urlize(self.body, nofollow=True, autoescape=True).replace(
            ' rel="nofollow"', ' rel="nofollow ugc noopener"'
        )
        # Already escaped by urlize: linebreaksbr only turns the newlines into <br>.
        return linebreaksbr(linked, autoescape=False)

    @cached_property
    def edit_history(self) -> list[EditVersion]:
        """Every version of an edited comment, oldest first, each with its scores and the word
        diff from the version before: what a moderator's card shows. Reads `revisions`
        (prefetched by the queue), nothing for a comment never edited."""
        if not self.revision:
            return []
        versions = [
            EditVersion(r.number, r.body, r.status, r.scores, r.written_at, [])
            for r in self.revisions.all()
        ]
        current = EditVersion(
            self.revision, self.body, self.status, self.scores, self.edited_at, [], current=True
        )
        if self.scored_revision != self.revision:
            current.scores = {}  # still to be scored: the scores above are the last version's
        versions.append(current)
        for before, after in itertools.pairwise(versions):
            after.diff = word_diff(before.body, after.body)
        return versions

    @property
    def is_visible(self) -> bool:
        """Whether the public sees it: published and not hidden by readers' reports."""
        return self.is_published and self.hidden_at is None

    @cached_property
    def reasons(self) -> list[str]:
        """The reasons for the latest automatic decision, in words for a moderator."""
        thresholds = self.thresholds
        return [
            policy.describe_reason(code, scores=self.scores, thresholds=thresholds)
            for code in self.reason_codes
        ]

    @cached_property
    def score_rows(self) -> list[policy.ScoreRow]:
        """Each label's score beside its thresholds, for the moderator's card."""
        return policy.score_rows(self.scores, self.thresholds)

    @cached_property
    def body_segments(self) -> list[Segment]:
        """The body split into plain text and the model's highlighted terms."""
        return segments(self.body, self.explanations)

    @cached_property
    def highlighted_body(self) -> SafeString:
        """`body_segments` as HTML: the body escaped, line breaks kept, terms marked."""
        return segments_html(self.body_segments)

    @cached_property
    def explained_terms(self) -> list[LabelTerms]:
        return terms_by_label(self.body, self.explanations)

    @property
    def suggested_reject_reason(self) -> str:
        """The reject reason the scores point to, or "" when no label is past its publish line.

        Only a label the policy found doubtful counts: a comment held for another reason (a
        pre-moderated article, no model) gets no suggestion, so a hurried moderator cannot
        turn a guess into a training label.
        """
        doubtful = [row for row in self.score_rows if row.band != "low"]
        if not doubtful:
            return ""
        top = max(doubtful, key=lambda row: row.score)
        return RejectReason.for_label(top.label)

    def can_become(self, status: str) -> bool:
        return status in ALLOWED_TRANSITIONS.get(self.status, frozenset())

    @cached_property
    def reasons_for_author(self) -> list[str]:
        """Why it was held or rejected, for its author, in the community guidelines' words."""
        if self.status not in (CommentStatus.HELD, CommentStatus.REJECTED):
            return []
        words = policy.reasons_for_author(list(self.reason_codes))
        if not words and self.status == CommentStatus.REJECTED:
            # Rejected by a moderator although the model let it through.
            words = ["a moderator found that it does not follow our community guidelines"]
        return words

    @property
    def can_be_appealed(self) -> bool:
        """Whether its author may still appeal: held or rejected, and not appealed before."""
        if self.status not in (CommentStatus.HELD, CommentStatus.REJECTED):
            return False
        try:
            return self.appeal is None
        except Appeal.DoesNotExist:
            return True

    @cached_property
    def open_report_count(self) -> int:
        """How many open reports it has; `with_report_counts()` sets it without a query."""
        return self.reports.filter(resolved_at__isnull=True).count()

    @property
    def decisions_available(self) -> list[Decision]:
        """What a moderator may decide now, in the order a card offers it: the transitions
        ALLOWED_TRANSITIONS allows from its status (publishing a rejected comment is a restore),
        and keeping a reported comment published."""
        decisions = []
        if self.can_become(CommentStatus.PUBLISHED):
            rejected = self.status == CommentStatus.REJECTED
            decisions.append(Decision.RESTORE if rejected else Decision.APPROVE)
        if self.is_published and self.open_report_count:
            decisions.append(Decision.DISMISS)
        if self.can_become(CommentStatus.REJECTED):
            decisions.append(Decision.REJECT)
        return decisions


class Reaction(models.Model):
    """One reader's reaction ("Respect" by default: COMMENT_REACTION_LABEL) to a comment.

    Counted on `Comment.reaction_count` in the transaction that adds or removes it.
    """

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reactions")
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reactions"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["comment", "reader"], name="one_reaction_per_reader"),
        ]
        indexes = [models.Index(fields=["reader", "comment"])]

    def __str__(self) -> str:
        return f"{self.reader} reacted to comment {self.comment_id}"


class CommentRevision(models.Model):
    """An earlier version of an edited comment, with the scores and decision it had then."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    body = models.TextField()
    status = models.CharField(max_length=20, choices=CommentStatus.choices)
    scores = models.JSONField(default=dict, blank=True)
    risk = models.FloatField(null=True, blank=True)
    reason_codes = models.JSONField(default=list, blank=True)
    model_version = models.ForeignKey(
        "comments.ClassifierModel",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # When this version was written (the comment's posting, or the edit before) and replaced.
    written_at = models.DateTimeField()
    replaced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["comment", "number"]
        constraints = [
            models.UniqueConstraint(fields=["comment", "number"], name="one_revision_number"),
        ]

    def __str__(self) -> str:
        return f"Revision {self.number} of comment {self.comment_id}"


class EventAction(models.TextChoices):
    # On a comment.
    SCORED = "scored", "Scored by the model"
    SCORING_FAILED = "scoring_failed", "Held: scoring failed"
    APPROVED = "approved", "Approved by a moderator"
    REJECTED = "rejected", "Rejected by a moderator"
    RESTORED = "restored", "Restored by a moderator"
    UNDONE = "undone", "Undone by a moderator"
    HIDDEN = "hidden", "Hidden by readers' reports"
    FEATURED = "featured", "Featured by a moderator"
    UNFEATURED = "unfeatured", "No longer featured"
    EDITED = "edited", "Edited by its author"
    DELETED_BY_AUTHOR = "deleted_by_author", "Deleted by its author"
    # On an author (`subject`).
    AUTHOR_SUSPENDED = "author_suspended", "Author suspended"
    AUTHOR_BANNED = "author_banned", "Author banned"
    AUTHOR_REINSTATED = "author_reinstated", "Author reinstated"
    AUTHOR_PREMODERATED = "author_premoderated", "Author set to always pre-moderate"
    AUTHOR_NOTE = "author_note", "Note on an author"
    # On the workspace's rules and the classifier.
    RULE_CHANGED = "rule_changed", "Moderation rule changed"
    CLASSIFIER_ACTIVATED = "classifier_activated", "Classifier version activated"
    # Appeals (issue 12): a moderator kept the decision (overturning writes APPROVED or RESTORED).
    APPEAL_FILED = "appeal_filed", "Appealed by the author"
    APPEAL_UPHELD = "appeal_upheld", "Appeal upheld by a moderator"
    # A reader deleted their account (accounts.services.delete_account).
    ACCOUNT_DELETED = "account_deleted", "Account deleted by its owner"


class RejectReason(models.TextChoices):
    """Why a moderator rejected a comment; `label_for_training` maps it to a classifier label."""

    ABUSIVE = "abusive", "Abusive or toxic"
    SPAM = "spam", "Spam or advertising"
    OFF_TOPIC = "off_topic", "Off-topic"
    PERSONAL_INFO = "personal_info", "Personal information"
    OTHER = "other", "Other"

    @property
    def label_for_training(self) -> str | None:
        return {"abusive": "toxicity", "spam": "spam"}.get(self.value)

    @classmethod
    def for_label(cls, label: str) -> str:
        """The reason that trains `label`, or "" if none does."""
        return next((r.value for r in cls if r.label_for_training == label), "")


class Decision(models.TextChoices):
    """What a moderator can decide about one comment, as the queue offers it."""

    APPROVE = "approve", "Approve"
    RESTORE = "restore", "Restore"
    # A reported comment that may stay up: its reports are answered and it is shown again.
    DISMISS = "dismiss", "Keep published"
    REJECT = "reject", "Reject"


# The decisions a moderator can take on many comments at once, and what each does to every one
# of them: the status it moves them to, and the event it writes.
BULK_DECISIONS: dict[str, tuple[str, str]] = {
    Decision.APPROVE: (CommentStatus.PUBLISHED, EventAction.APPROVED),
    Decision.REJECT: (CommentStatus.REJECTED, EventAction.REJECTED),
}


# A moderator's word on a comment: what the dashboard counts, what undo may reverse (see the
# note under ALLOWED_TRANSITIONS), and, with the undos that withdraw them, the training labels.
MODERATOR_DECISIONS = frozenset({EventAction.APPROVED, EventAction.REJECTED, EventAction.RESTORED})


class ModerationEventQuerySet(models.QuerySet["ModerationEvent"]):
    def decisions(self) -> ModerationEventQuerySet:
        """Moderators' (not the system's) approvals, rejections and restorations of comments."""
        return self.filter(actor__isnull=False, action__in=MODERATOR_DECISIONS)

    def decisions_and_undos(self) -> ModerationEventQuerySet:
        """Moderators' decisions on comments and the undos that withdraw them, oldest first."""
        return self.filter(
            actor__isnull=False,
            comment__isnull=False,
            action__in=[*MODERATOR_DECISIONS, EventAction.UNDONE],
        ).order_by("created_at", "id")

    def since(self, when: Any) -> ModerationEventQuerySet:
        return self.filter(created_at__gt=when)

    def still_standing(self) -> ModerationEventQuerySet:
        """Events no undo has withdrawn. Undo reverses only the last word on a comment (see
        undo_decision and undo_bulk), so a withdrawn decision is the one whose next event on
        its comment is an UNDONE."""
        following = (
            ModerationEvent.objects.filter(comment=OuterRef("comment"), id__gt=OuterRef("id"))
            .order_by("id")
            .values("action")[:1]
        )
        return self.alias(next_action=Subquery(following)).filter(
            Q(next_action__isnull=True) | ~Q(next_action=EventAction.UNDONE)
        )

    def last_words(self) -> ModerationEventQuerySet:
        """Events still the latest on their comment: nothing (an undo, another decision) since."""
        later = ModerationEvent.objects.filter(comment=OuterRef("comment"), id__gt=OuterRef("id"))
        return self.exclude(Exists(later))

    def undoable_by(self, moderator: Any) -> ModerationEventQuerySet:
        """This moderator's decisions that undo may still reverse, latest first: inside the
        MODERATION_UNDO_SECONDS window and still the last word on their comment."""
        since = timezone.now() - timedelta(seconds=settings.MODERATION_UNDO_SECONDS)
        return (
            self.filter(actor=moderator, action__in=MODERATOR_DECISIONS, created_at__gte=since)
            .last_words()
            .order_by("-id")
        )


class ModerationEvent(models.Model):
    """One status change of a comment: who, what, when, why, and the scores at that moment.

    `actor` is NULL for the system, whose decisions name `model_version` instead. Moderators'
    approvals and rejections are the training labels for the next model.
    """

    # NULL for events about an author, a rule or the classifier rather than one comment.
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    # The author an action was about (a suspension, a ban, a note).
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="moderation_events_about",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="moderation_events",
    )
    action = models.CharField(max_length=30, choices=EventAction.choices)
    from_status = models.CharField(max_length=20, choices=CommentStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=CommentStatus.choices, blank=True)
    reject_reason = models.CharField(max_length=20, choices=RejectReason.choices, blank=True)
    reason_codes = models.JSONField(default=list, blank=True)
    scores = models.JSONField(default=dict, blank=True)
    model_version = models.ForeignKey(
        "comments.ClassifierModel",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
    )
    note = models.CharField(max_length=500, blank=True)
    # The bulk decision this event is part of (and the undo of one): undo finds its events by it.
    # Blank for single decisions. The note still says it in words, for the audit log.
    batch = models.CharField(max_length=12, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = ModerationEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["action", "created_at"]),
            # A comment's events since a moment: what the bulk decision's "acted on since the
            # page loaded" check probes per comment (unchanged_by_others_since), rather than
            # walking every recent event for each.
            models.Index(fields=["comment", "created_at"], name="event_comment_created_idx"),
        ]

    def __str__(self) -> str:
        who = self.actor or "system"
        if self.comment_id is None:
            return f"{who}: {self.get_action_display()}"
        return f"{who}: {self.from_status} -> {self.to_status} (comment {self.comment_id})"


class ClassifierModelQuerySet(models.QuerySet["ClassifierModel"]):
    def active(self) -> ClassifierModelQuerySet:
        return self.filter(is_active=True)


class ClassifierModel(models.Model):
    """One trained, immutable model version, stored in the database so every worker loads it.

    `artifact` holds skops bytes; see comments/classifier.py for how they are made and loaded.
    """

    version = models.PositiveIntegerField(unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    labels = models.JSONField(default=list)
    artifact = models.BinaryField()
    artifact_sha256 = models.CharField(max_length=64)
    # {label: {"roc_auc": ..., "n_train": ..., "n_validation": ...}}
    metrics = models.JSONField(default=dict)
    library_versions = models.JSONField(default=dict)
    data_reference = models.JSONField(default=dict)
    training_seconds = models.FloatField(default=0.0)
    # {label: {"publish": p, "reject": r}} derived from the operator's targets at training time.
    thresholds = models.JSONField(default=dict, blank=True)
    # Expected shares auto-published / held / auto-rejected at those thresholds.
    workload = models.JSONField(default=dict, blank=True)
    # Why this version was or was not promoted over the one active when it was trained.
    promotion_note = models.TextField(blank=True)
    is_active = models.BooleanField(default=False)

    objects = ClassifierModelQuerySet.as_manager()

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_classifier"
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version}" + (" (active)" if self.is_active else "")


class ReportReason(models.TextChoices):
    ABUSIVE = "abusive", "Abusive"
    SPAM = "spam", "Spam"
    OFF_TOPIC = "off_topic", "Off-topic"
    OTHER = "other", "Other"


class ReportQuerySet(models.QuerySet["Report"]):
    def open(self) -> ReportQuerySet:
        return self.filter(resolved_at__isnull=True)

    def counting_towards_hiding(self) -> ReportQuerySet:
        """Reports whose reporter may hide a comment (see `report_not_counted_because`): an
        account old enough, with a published comment, and neither banned nor suspended. Fresh
        accounts made to gang up on a comment do not hide it; they only bring it to the queue."""
        now = timezone.now()
        joined_by = now - timedelta(days=settings.MODERATION_REPORTER_MIN_AGE_DAYS)
        has_published = Comment.objects.published().filter(author=OuterRef("reporter_id"))
        barred = AuthorStanding.objects.filter(author=OuterRef("reporter_id")).filter(
            Q(banned_at__isnull=False) | Q(suspended_until__gt=now)
        )
        return self.filter(reporter__date_joined__lte=joined_by).filter(
            Exists(has_published), ~Exists(barred)
        )


def report_not_counted_because(
    *, joined: datetime, record: AuthorRecord, standing: AuthorStanding | None
) -> str:
    """Why a reader's reports do not count towards hiding a comment, in words for a moderator;
    "" when they do. The rule of `ReportQuerySet.counting_towards_hiding`, for one reader."""
    min_age = timedelta(days=settings.MODERATION_REPORTER_MIN_AGE_DAYS)
    if standing is not None and standing.reporting_refusal():
        return "banned or suspended"
    if timezone.now() - joined < min_age:
        return f"account younger than {settings.MODERATION_REPORTER_MIN_AGE_DAYS} days"
    if not record.published:
        return "no published comment"
    return ""


class Report(models.Model):
    """A reader's report on a comment. Open until a moderator decides the comment."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports_made"
    )
    reason = models.CharField(max_length=20, choices=ReportReason.choices)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports_resolved",
    )

    objects = ReportQuerySet.as_manager()

    # Set on the queue's cards (moderation.views.queue.with_records), not stored: how the
    # reporter's own comments fared, and why their report does not count towards hiding.
    reporter_record: AuthorRecord | None = None
    reporter_url = ""
    not_counted_because = ""

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["comment", "resolved_at"]),
            # The open reports alone, few among every report ever made: the reported queue and
            # its count start from them (moderation.queues).
            models.Index(
                fields=["comment"], condition=Q(resolved_at__isnull=True), name="report_open_idx"
            ),
        ]
        constraints = [
            # One report per reader per comment, ever: a resolved report is not a licence to
            # report again and re-hide a comment a moderator has just approved.
            models.UniqueConstraint(fields=["comment", "reporter"], name="one_report_per_reader"),
            models.CheckConstraint(
                condition=Q(reason__in=ReportReason.values), name="report_reason_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reporter} reported comment {self.comment_id}: {self.reason}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class AuthorStanding(models.Model):
    """A reader's standing with the moderators: bans, suspensions, pre-moderation.

    One row per author acted upon; authors without a row are in good standing.
    """

    author = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="standing"
    )
    suspended_until = models.DateTimeField(null=True, blank=True)
    banned_at = models.DateTimeField(null=True, blank=True)
    ban_reason = models.CharField(max_length=500, blank=True)
    always_premoderate = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Standing of {self.author}"

    @property
    def is_banned(self) -> bool:
        return self.banned_at is not None

    def is_suspended(self, at: Any = None) -> bool:
        when = at or timezone.now()
        return self.suspended_until is not None and self.suspended_until > when

    def posting_refusal(self) -> str | None:
        """Why this author may not post now, in words for them; None if they may."""
        if self.is_banned:
            return "Your account has been banned from commenting" + (
                f": {self.ban_reason}" if self.ban_reason else "."
            )
        if self.suspended_until is not None and self.is_suspended():
            until = date_format(timezone.localtime(self.suspended_until), "j F Y, H:i T")
            return f"Your account is suspended from commenting until {until}."
        return None

    def reporting_refusal(self) -> str | None:
        """Why this reader may not report comments now, in words for them; None if they may."""
        if self.is_banned:
            return "Your account has been banned: you cannot report comments."
        if self.suspended_until is not None and self.is_suspended():
            until = date_format(timezone.localtime(self.suspended_until), "j F Y, H:i T")
            return f"Your account is suspended: you cannot report comments until {until}."
        return None


def posting_refusal_of(author: Any) -> str | None:
    """Why this reader may not post, reply, react or edit now, in words for them; None if they
    may (no standing row: good standing)."""
    standing = AuthorStanding.objects.filter(author=author).first()
    return standing.posting_refusal() if standing is not None else None


class AuthorNote(models.Model):
    """A moderator's note on an author, shown in the author drawer to other moderators."""

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="moderator_notes"
    )
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="author_notes_written",
    )
    body = models.TextField(max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["author", "created_at"])]

    def __str__(self) -> str:
        return f"Note on {self.author} by {self.written_by}"


class WordRuleKind(models.TextChoices):
    BANNED = "banned", "Banned: reject automatically"
    SUSPECT = "suspect", "Suspect: hold for a moderator"


class WordRule(models.Model):
    """A word or phrase matched on word boundaries, case-insensitively, in new comments."""

    phrase = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=WordRuleKind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="word_rules_created",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "phrase"]
        constraints = [
            # One rule per phrase whatever its case: "Idiot" and "idiot" match the same text.
            models.UniqueConstraint(Lower("phrase"), name="word_rule_phrase_unique_ci"),
            models.CheckConstraint(
                condition=Q(kind__in=WordRuleKind.values), name="word_rule_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.phrase}"


class ExternalLabelQuerySet(models.QuerySet["ExternalLabel"]):
    def since(self, when: Any) -> ExternalLabelQuerySet:
        return self.filter(created_at__gt=when)


class ExternalLabel(models.Model):
    """A labelled text sent by another system (a Perspective-style `comments:suggestscore`).

    Training reads these beside moderators' decisions (`comments.model_versions`). They live here,
    not in `integrations/`, because training is this app's and imports only flow down to it; the
    integrations app writes them through its own service.
    """

    # Who sent it ("api-key:<prefix>") and the sender's own id for the text (Coral's
    # "comment:<id>" clientToken): a later label with the same pair replaces an earlier one, as
    # a moderator's later word on a comment does.
    source = models.CharField(max_length=100)
    external_id = models.CharField(max_length=200, blank=True)
    text = models.TextField()
    label = models.CharField(max_length=50)
    # The suggested score as sent; training reads it as positive at 0.5 and above.
    value = models.FloatField()
    created_at = models.DateTimeField(default=timezone.now)

    objects = ExternalLabelQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(value__gte=0.0, value__lte=1.0), name="external_label_value_0_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label}={self.value} from {self.source}"


class AppealStatus(models.TextChoices):
    OPEN = "open", "Waiting for a moderator"
    UPHELD = "upheld", "Decision kept"
    OVERTURNED = "overturned", "Decision overturned: published"


class AppealQuerySet(models.QuerySet["Appeal"]):
    def open(self) -> AppealQuerySet:
        return self.filter(status=AppealStatus.OPEN)


class Appeal(models.Model):
    """An author's one appeal against a comment being held or rejected, and its outcome.

    It keeps the decision appealed against as it stood (status, reasons, scores, and whether the
    system or a moderator took it), so the Appeals queue and the dashboard's rates per reason read
    it even after the comment has moved on.
    """

    comment = models.OneToOneField(Comment, on_delete=models.CASCADE, related_name="appeal")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="appeals"
    )
    note = models.CharField(max_length=500, blank=True)
    status = models.CharField(
        max_length=20, choices=AppealStatus.choices, default=AppealStatus.OPEN
    )
    appealed_status = models.CharField(max_length=20, choices=CommentStatus.choices)
    reason_codes = models.JSONField(default=list, blank=True)
    scores = models.JSONField(default=dict, blank=True)
    # True when the system (the model and the rules) took the decision appealed against.
    automatic = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="appeals_decided",
    )

    objects = AppealQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=AppealStatus.values), name="appeal_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Appeal on comment {self.comment_id}: {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status == AppealStatus.OPEN

    @property
    def reasons(self) -> list[str]:
        """The appealed decision's reasons, in words for a moderator."""
        return [policy.describe_reason(code, scores=self.scores) for code in self.reason_codes]


# The nudge (issue 11, "live"): a reader's draft that the model would hold or reject, answered
# before it is saved. The draft's text is not kept: it was never posted.


class NudgeOutcome(models.TextChoices):
    # Rewritten until the model would publish it, then posted.
    REVISED = "revised", "Revised"
    # Posted as it stood after the nudge ("Post anyway").
    POSTED_ANYWAY = "posted_anyway", "Posted anyway"
    # "Abandoned" is never stored: a nudge with no outcome after
    # COMMENT_NUDGE_ABANDONED_AFTER_SECONDS is abandoned, by query (see NudgeQuerySet).


@dataclass(frozen=True)
class NudgeSummary:
    shown: int
    revised: int
    revised_published: int
    posted_anyway: int
    abandoned: int

    @property
    def revised_published_share(self) -> float | None:
        """Of the nudges shown, the share revised into a comment that then got published."""
        return self.revised_published / self.shown if self.shown else None


class NudgeQuerySet(models.QuerySet["Nudge"]):
    def still_open(self, *, now: datetime | None = None) -> NudgeQuerySet:
        """Nudges whose reader may still post: no outcome yet, and within the window."""
        cutoff = (now or timezone.now()) - timedelta(
            seconds=settings.COMMENT_NUDGE_ABANDONED_AFTER_SECONDS
        )
        return self.filter(outcome="", created_at__gte=cutoff)

    def summary(self, *, since: datetime, now: datetime | None = None) -> NudgeSummary:
        """What became of the nudges shown since `since`: one aggregate query.

        Abandoned is computed here rather than stored by a periodic task: nothing to schedule
        or to miss when beat is down, nothing written, and a changed window applies at once.
        """
        cutoff = (now or timezone.now()) - timedelta(
            seconds=settings.COMMENT_NUDGE_ABANDONED_AFTER_SECONDS
        )
        revised = Q(outcome=NudgeOutcome.REVISED)
        totals = self.filter(created_at__gte=since).aggregate(
            shown=Count("id"),
            revised=Count("id", filter=revised),
            revised_published=Count(
                "id", filter=revised & Q(comment__status=CommentStatus.PUBLISHED)
            ),
            posted_anyway=Count("id", filter=Q(outcome=NudgeOutcome.POSTED_ANYWAY)),
            abandoned=Count("id", filter=Q(outcome="", created_at__lt=cutoff)),
        )
        return NudgeSummary(**totals)


class Nudge(models.Model):
    """One nudging of a reader's draft, and what the reader did next."""

    article = models.ForeignKey("articles.Article", on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="nudges"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # A reader who revises and is nudged again stays in the same nudge: one decision to make.
    times_shown = models.PositiveIntegerField(default=1)
    # What the model said of the first nudged draft, and which model said it.
    scores = models.JSONField(default=dict, blank=True)
    reason_codes = models.JSONField(default=list, blank=True)
    model_version = models.ForeignKey(
        "ClassifierModel", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(max_length=20, choices=NudgeOutcome.choices, blank=True)
    comment = models.OneToOneField(
        Comment, on_delete=models.SET_NULL, null=True, blank=True, related_name="nudge"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    objects = NudgeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"nudge {self.pk} ({self.outcome or 'open'})"
