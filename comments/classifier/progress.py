"""Progress of a long fit: a bar with its percentage and elapsed time, never silent for long.

A full toxicity fit is a handful of steps of 10 to 40 s each (features, the model, one per
calibration fold). A line per finished step alone would leave a terminal or a log quiet for the
length of the longest one, so while a step runs a daemon thread repeats the current line every
`heartbeat_seconds`. Lines, not carriage returns: the output goes through process managers and
log files as often as to a terminal.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

BAR_WIDTH = 20


def bar(fraction: float) -> str:
    """Draw `fraction` (0 to 1) as a fixed-width text bar."""
    filled = round(max(0.0, min(1.0, fraction)) * BAR_WIDTH)
    return "[" + "#" * filled + "-" * (BAR_WIDTH - filled) + "]"


class StepProgress:
    """Report one label's fit as `total` steps: percentage done, current step, elapsed time."""

    def __init__(
        self,
        label: str,
        *,
        total: int,
        report: Callable[[str], None],
        heartbeat_seconds: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.report = report
        self.heartbeat_seconds = heartbeat_seconds
        self.clock = clock
        self.started = clock()

    def line(self, doing: str) -> str:
        fraction = self.done / self.total if self.total else 1.0
        elapsed = self.clock() - self.started
        return f"  {self.label} {bar(fraction)} {fraction:4.0%}  {doing} · {elapsed:.0f} s"

    @contextmanager
    def step(self, doing: str) -> Iterator[None]:
        """Run one step: say it starts, repeat that while it runs, count it when it ends."""
        self.report(self.line(doing))
        finished = threading.Event()

        def heartbeat() -> None:
            while not finished.wait(self.heartbeat_seconds):
                self.report(self.line(doing))

        ticker = threading.Thread(target=heartbeat, name=f"progress-{self.label}", daemon=True)
        ticker.start()
        try:
            yield
        finally:
            finished.set()
            ticker.join()
        self.done += 1

    def finish(self) -> None:
        self.done = self.total
        self.report(self.line("done"))
