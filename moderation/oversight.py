"""Reads for oversight: the waiting-time alert and the dashboard's figures.

Each function is a small, fixed number of aggregate queries, whatever the number of comments.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Exists, Min, OuterRef, Q
from django.db.models.functions import TruncHour
from django.utils import timezone

from comments.models import (
    Appeal,
    AppealStatus,
    ClassifierModel,
    Comment,
    CommentStatus,
    EventAction,
    ModerationEvent,
    Report,
)
from comments.policy import describe_reason

# The model "flags" a comment when its highest label score says harmful is more likely than not.
FLAG_AT = 0.5


@dataclass(frozen=True)
class QueueState:
    held: int
    pending: int
    reported: int
    oldest_held_at: datetime | None
    now: datetime

    @property
    def oldest_wait(self) -> timedelta | None:
        return self.now - self.oldest_held_at if self.oldest_held_at else None


def queue_state(now: datetime | None = None) -> QueueState:
    """How much waits for a moderator, and since when the oldest held comment has."""
    # Each through its status index: one aggregate over every comment grew with the site.
    held = Comment.objects.held().aggregate(n=Count("id"), oldest=Min("created_at"))
    return QueueState(
        held=held["n"],
        pending=Comment.objects.pending().count(),
        reported=Comment.objects.filter(pk__in=Report.objects.open().values("comment_id")).count(),
        oldest_held_at=held["oldest"],
        now=now or timezone.now(),
    )


@dataclass(frozen=True)
class WaitAlert:
    """The oldest held comment has waited longer than MODERATION_WAIT_ALERT_SECONDS."""

    held: int
    oldest_held_at: datetime
    now: datetime

    @property
    def waited(self) -> timedelta:
        return self.now - self.oldest_held_at


def wait_alert(now: datetime | None = None) -> WaitAlert | None:
    """The alert when the oldest held comment has waited too long; otherwise None.

    One query: this runs on every moderation page.
    """
    now = now or timezone.now()
    counts = Comment.objects.held().aggregate(n=Count("id"), oldest=Min("created_at"))
    oldest = counts["oldest"]
    limit = timedelta(seconds=settings.MODERATION_WAIT_ALERT_SECONDS)
    if oldest is None or now - oldest <= limit:
        return None
    return WaitAlert(held=counts["n"], oldest_held_at=oldest, now=now)


def comments_per_hour(hours: int, now: datetime | None = None) -> list[tuple[datetime, int]]:
    """Comments posted in each of the last `hours` hours, oldest first, empty hours as 0."""
    now = now or timezone.now()
    last = now.replace(minute=0, second=0, microsecond=0)
    first = last - timedelta(hours=hours - 1)
    counted = {
        row["hour"]: row["n"]
        for row in Comment.objects.filter(created_at__gte=first)
        .annotate(hour=TruncHour("created_at"))
        .values("hour")
        .annotate(n=Count("id"))
        .order_by()
    }
    return [
        (first + timedelta(hours=i), counted.get(first + timedelta(hours=i), 0))
        for i in range(hours)
    ]


@dataclass(frozen=True)
class ModeratorDecisions:
    username: str
    approved: int
    rejected: int
    restored: int

    @property
    def total(self) -> int:
        return self.approved + self.rejected + self.restored


def decisions_per_moderator(since: datetime) -> list[ModeratorDecisions]:
    rows = (
        ModerationEvent.objects.decisions()
        .still_standing()
        .filter(created_at__gte=since)
        .values("actor__username")
        .annotate(
            approved=Count("id", filter=Q(action=EventAction.APPROVED)),
            rejected=Count("id", filter=Q(action=EventAction.REJECTED)),
            restored=Count("id", filter=Q(action=EventAction.RESTORED)),
        )
        .order_by()
    )
    decisions = [
        ModeratorDecisions(r["actor__username"], r["approved"], r["rejected"], r["restored"])
        for r in rows
    ]
    return sorted(decisions, key=lambda d: (-d.total, d.username))


@dataclass(frozen=True)
class AutomaticShares:
    published: int
    held: int
    rejected: int

    @property
    def total(self) -> int:
        return self.published + self.held + self.rejected

    def share(self, part: int) -> float | None:
        return part / self.total if self.total else None


def automatic_shares(since: datetime) -> AutomaticShares:
    """How the automatic decisions (model and rules) split: published, held, rejected."""
    counts = ModerationEvent.objects.filter(
        action=EventAction.SCORED, created_at__gte=since
    ).aggregate(
        published=Count("id", filter=Q(to_status=CommentStatus.PUBLISHED)),
        held=Count("id", filter=Q(to_status=CommentStatus.HELD)),
        rejected=Count("id", filter=Q(to_status=CommentStatus.REJECTED)),
    )
    return AutomaticShares(**counts)


@dataclass(frozen=True)
class ModelAgreement:
    """The model against moderators' decisions, on the comments both judged.

    Flagged: the model's highest score was at least FLAG_AT. Harmful: a moderator's decision left
    the comment rejected; acceptable: it left it published.
    """

    flagged_harmful: int  # true positives
    flagged_acceptable: int  # false positives
    missed_harmful: int  # false negatives
    passed_acceptable: int  # true negatives
    auto_published: int
    auto_published_removed: int
    auto_rejected: int
    auto_rejected_restored: int

    @property
    def reviewed(self) -> int:
        return (
            self.flagged_harmful
            + self.flagged_acceptable
            + self.missed_harmful
            + self.passed_acceptable
        )

    @property
    def precision(self) -> float | None:
        flagged = self.flagged_harmful + self.flagged_acceptable
        return self.flagged_harmful / flagged if flagged else None

    @property
    def recall(self) -> float | None:
        harmful = self.flagged_harmful + self.missed_harmful
        return self.flagged_harmful / harmful if harmful else None

    @property
    def overturned(self) -> int:
        return self.auto_published_removed + self.auto_rejected_restored

    @property
    def overturn_rate(self) -> float | None:
        automatic = self.auto_published + self.auto_rejected
        return self.overturned / automatic if automatic else None


def model_agreement(since: datetime) -> ModelAgreement:
    """Two queries: the confusion counts, and the automatic decisions moderators reversed."""
    by_moderator = ModerationEvent.objects.decisions().filter(comment=OuterRef("pk"))
    reviewed = Comment.objects.filter(
        Exists(by_moderator),
        risk__isnull=False,
        created_at__gte=since,
        status__in=[CommentStatus.PUBLISHED, CommentStatus.REJECTED],
    )
    flagged, harmful = Q(risk__gte=FLAG_AT), Q(status=CommentStatus.REJECTED)
    confusion = reviewed.aggregate(
        tp=Count("id", filter=flagged & harmful),
        fp=Count("id", filter=flagged & ~harmful),
        fn=Count("id", filter=~flagged & harmful),
        tn=Count("id", filter=~flagged & ~harmful),
    )

    moderator_event = ModerationEvent.objects.decisions().filter(comment=OuterRef("comment"))
    removed = Exists(moderator_event.filter(to_status=CommentStatus.REJECTED))
    restored = Exists(moderator_event.filter(to_status=CommentStatus.PUBLISHED))
    to_published, to_rejected = (
        Q(to_status=CommentStatus.PUBLISHED),
        Q(to_status=CommentStatus.REJECTED),
    )
    automatic = ModerationEvent.objects.filter(
        action=EventAction.SCORED, created_at__gte=since
    ).aggregate(
        published=Count("id", filter=to_published),
        published_removed=Count("id", filter=to_published & Q(removed)),
        rejected=Count("id", filter=to_rejected),
        rejected_restored=Count("id", filter=to_rejected & Q(restored)),
    )
    return ModelAgreement(
        flagged_harmful=confusion["tp"],
        flagged_acceptable=confusion["fp"],
        missed_harmful=confusion["fn"],
        passed_acceptable=confusion["tn"],
        auto_published=automatic["published"],
        auto_published_removed=automatic["published_removed"],
        auto_rejected=automatic["rejected"],
        auto_rejected_restored=automatic["rejected_restored"],
    )


@dataclass(frozen=True)
class AppealRate:
    """Readers' side of the automation's errors, for one reason code."""

    code: str
    reason: str
    decisions: int  # automatic holds and rejections that gave this reason
    appeals: int
    decided: int
    overturned: int

    @property
    def appeal_rate(self) -> float | None:
        return self.appeals / self.decisions if self.decisions else None

    @property
    def overturn_rate(self) -> float | None:
        return self.overturned / self.decided if self.decided else None


def appeal_rates(since: datetime) -> list[AppealRate]:
    """Per reason code: how often authors appealed automatic holds and rejections, and how
    often moderators overturned them (two queries; reason lists are counted in Python, since
    a JSON list cannot be grouped on portably)."""
    decisions: Counter[str] = Counter()
    for codes in ModerationEvent.objects.filter(
        action=EventAction.SCORED,
        created_at__gte=since,
        to_status__in=[CommentStatus.HELD, CommentStatus.REJECTED],
    ).values_list("reason_codes", flat=True):
        decisions.update(set(codes or []))
    appeals: Counter[str] = Counter()
    decided: Counter[str] = Counter()
    overturned: Counter[str] = Counter()
    for codes, status in Appeal.objects.filter(created_at__gte=since, automatic=True).values_list(
        "reason_codes", "status"
    ):
        unique = set(codes or [])
        appeals.update(unique)
        if status != AppealStatus.OPEN:
            decided.update(unique)
        if status == AppealStatus.OVERTURNED:
            overturned.update(unique)
    return sorted(
        (
            AppealRate(
                code=code,
                reason=describe_reason(code),
                decisions=decisions[code],
                appeals=appeals[code],
                decided=decided[code],
                overturned=overturned[code],
            )
            for code in set(decisions) | set(appeals)
        ),
        key=lambda r: (-r.appeals, -r.decisions, r.code),
    )


@dataclass(frozen=True)
class TermFairness:
    term: str
    subgroup_auc: float
    bpsn_auc: float
    bnsp_auc: float


@dataclass(frozen=True)
class ModelFairness:
    """The active model's identity-term figures, as training measured and stored them."""

    version: int
    bias_score: float
    min_bpsn_auc: float
    worst_terms: list[TermFairness]


def model_fairness() -> ModelFairness | None:
    """The active version's bias score and worst five terms; None for none or an older one."""
    row = ClassifierModel.objects.active().values_list("version", "metrics").first()
    if row is None:
        return None
    version, metrics = row
    figures = (metrics or {}).get("toxicity", {}).get("fairness")
    if not figures:
        return None
    return ModelFairness(
        version=version,
        bias_score=figures["bias_score"],
        min_bpsn_auc=figures["min_bpsn_auc"],
        worst_terms=[
            TermFairness(
                term=worst["term"],
                subgroup_auc=worst["subgroup_auc"],
                bpsn_auc=worst["bpsn_auc"],
                bnsp_auc=worst["bnsp_auc"],
            )
            for worst in figures["worst_terms"][:5]
        ],
    )
