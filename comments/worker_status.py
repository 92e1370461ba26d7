"""What the scoring workers say they score with, judged against the active model version.

Read by /healthz, /metrics and the moderation pages. The heartbeats come from the workers
themselves (`tasks.WorkerHeartbeat`), so a worker that cannot load the active model, or no
worker at all, shows here rather than behind a database row that says "v1 is active".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import redis

from comments import tasks
from comments.models import ClassifierModel


@dataclass(frozen=True)
class ScoringStatus:
    active_version: int | None
    workers: list[tasks.Heartbeat] = field(default_factory=list)
    unreadable: str = ""  # why the heartbeats could not be read, if they could not

    @property
    def alive(self) -> int:
        return len(self.workers)

    @property
    def versions(self) -> list[int]:
        """The model versions the live workers score with."""
        return sorted({w.model_version for w in self.workers if w.model_version is not None})

    @property
    def problems(self) -> list[str]:
        """Each way scoring differs from "every live worker scores with the active version"."""
        if self.unreadable:
            return [f"cannot read the workers' heartbeats ({self.unreadable})"]
        if not self.workers:
            return ["no scoring worker is alive: new comments wait, pending, until one starts"]
        problems = []
        for worker in self.workers:
            scoring = f"v{worker.model_version}" if worker.model_version else "no model"
            if worker.model_error:
                problems.append(f"{worker.worker} scores with {scoring}: {worker.model_error}")
            elif self.active_version is not None and worker.model_version != self.active_version:
                problems.append(
                    f"{worker.worker} scores with {scoring}, not the active v{self.active_version}"
                )
        return problems

    @property
    def status(self) -> str:
        """ "ok"; "degraded" when a worker scores otherwise than it should; "down" with none."""
        if not self.workers:
            return "down"
        return "degraded" if self.problems else "ok"


def scoring_status() -> ScoringStatus:
    """Read the active version and the live workers' heartbeats (two short round trips)."""
    active = ClassifierModel.objects.active().values_list("version", flat=True).first()
    return scoring_status_for(active_version=active)


def scoring_status_for(*, active_version: int | None) -> ScoringStatus:
    """The live workers' heartbeats judged against an active version the caller already read."""
    try:
        workers = tasks.live_heartbeats()
    except redis.RedisError as exc:
        return ScoringStatus(active_version, unreadable=f"{type(exc).__name__}: {exc}")
    return ScoringStatus(active_version, workers)
