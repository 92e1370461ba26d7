"""Chart geometry for the dashboard: numbers in, SVG coordinates out; the template draws them.

Drawn on the server as inline SVG: no JavaScript library to serve, and a chart shows without
scripts. Pure functions, so the arithmetic is tested without rendering anything.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Gridline:
    y: float
    label: str


@dataclass(frozen=True)
class Column:
    x: float
    y: float
    width: float
    height: float
    value: int
    label: str
    # Only some columns name their x value, so the labels do not overlap.
    show_label: bool


@dataclass(frozen=True)
class ColumnChart:
    width: int
    height: int
    left: int
    baseline: float
    columns: list[Column]
    gridlines: list[Gridline]


def nice_ceiling(value: float) -> int:
    """The smallest 1, 2 or 5 times a power of ten at or above `value` (at least 1)."""
    if value <= 1:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return int(step * magnitude)
    raise AssertionError("unreachable: 10 * magnitude exceeds value")


def column_chart(
    values: Sequence[tuple[str, int]],
    *,
    width: int = 720,
    height: int = 220,
    label_every: int = 6,
) -> ColumnChart:
    """Vertical columns, one per value, scaled to a round maximum with three gridlines."""
    left, top, bottom = 40, 10, 24
    plot_height = height - top - bottom
    baseline = float(top + plot_height)
    ceiling = nice_ceiling(max((v for _, v in values), default=0))
    slot = (width - left) / max(len(values), 1)
    columns = []
    for i, (label, value) in enumerate(values):
        bar_height = plot_height * value / ceiling
        columns.append(
            Column(
                x=round(left + i * slot + slot * 0.1, 2),
                y=round(baseline - bar_height, 2),
                width=round(slot * 0.8, 2),
                height=round(bar_height, 2),
                value=value,
                label=label,
                show_label=i % label_every == 0,
            )
        )
    gridlines = [
        Gridline(y=round(baseline - plot_height * fraction, 2), label=f"{ceiling * fraction:g}")
        for fraction in (0, 0.5, 1)
    ]
    return ColumnChart(width, height, left, baseline, columns, gridlines)


@dataclass(frozen=True)
class Segment:
    x: float
    width: float
    value: int
    kind: str
    name: str


@dataclass(frozen=True)
class BarRow:
    label: str
    y: float
    segments: list[Segment]
    total: int


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    label_width: int
    row_height: int
    rows: list[BarRow]


def stacked_bars(
    rows: Sequence[tuple[str, Sequence[tuple[str, str, int]]]],
    *,
    width: int = 720,
    row_height: int = 28,
    label_width: int = 140,
) -> BarChart:
    """Horizontal bars, one per row, each split into (kind, name, value) segments.

    All rows share one scale (the largest row total), so bars compare across rows.
    """
    plot_width = width - label_width - 50  # room on the right for the total
    largest = max((sum(v for _, _, v in parts) for _, parts in rows), default=0) or 1
    drawn = []
    for i, (label, parts) in enumerate(rows):
        x = float(label_width)
        segments = []
        for kind, name, value in parts:
            segment_width = plot_width * value / largest
            segments.append(Segment(round(x, 2), round(segment_width, 2), value, kind, name))
            x += segment_width
        drawn.append(BarRow(label, i * row_height, segments, sum(v for _, _, v in parts)))
    return BarChart(width, max(len(rows), 1) * row_height, label_width, row_height, drawn)


def share_bar(parts: Sequence[tuple[str, str, int]], *, width: int = 720) -> list[Segment]:
    """One bar split by share of the total: (kind, name, value) -> segments across `width`."""
    total = sum(v for _, _, v in parts)
    if not total:
        return []
    segments, x = [], 0.0
    for kind, name, value in parts:
        segment_width = width * value / total
        segments.append(Segment(round(x, 2), round(segment_width, 2), value, kind, name))
        x += segment_width
    return segments
