from __future__ import annotations

import threading

from comments.classifier.progress import StepProgress, bar


def test_it_draws_a_bar_of_fixed_width() -> None:
    assert bar(0) == "[" + "-" * 20 + "]"
    assert bar(0.5) == "[" + "#" * 10 + "-" * 10 + "]"
    assert bar(1.5) == "[" + "#" * 20 + "]"


def test_it_reports_percentage_step_and_elapsed_time() -> None:
    lines: list[str] = []
    now = iter([0.0, 0.0, 12.4, 30.6])
    steps = StepProgress("toxicity", total=4, report=lines.append, clock=lambda: next(now))

    with steps.step("hashing"):
        pass
    with steps.step("fitting the model"):
        pass
    steps.finish()

    assert lines == [
        "  toxicity [--------------------]   0%  hashing · 0 s",
        "  toxicity [#####---------------]  25%  fitting the model · 12 s",
        "  toxicity [####################] 100%  done · 31 s",
    ]


def test_it_keeps_talking_while_a_long_step_runs() -> None:
    lines: list[str] = []
    repeated = threading.Event()

    def report(line: str) -> None:
        lines.append(line)
        if len(lines) >= 3:
            repeated.set()

    steps = StepProgress("toxicity", total=2, report=report, heartbeat_seconds=0.01)
    with steps.step("calibrating, fold 1 of 5"):
        # The step "runs" until the heartbeat has repeated its line twice.
        assert repeated.wait(timeout=10)

    assert len(lines) >= 3
    assert all("calibrating, fold 1 of 5" in line for line in lines)
    count = len(lines)
    steps.finish()
    assert len(lines) == count + 1  # the heartbeat stopped with its step
