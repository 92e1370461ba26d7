"""Chart geometry: scales, positions and labels, without rendering."""

from __future__ import annotations

import pytest

from moderation.charts import column_chart, nice_ceiling, share_bar, stacked_bars


@pytest.mark.parametrize(
    ("value", "expected"), [(0, 1), (1, 1), (3, 5), (7, 10), (11, 20), (180, 200), (500, 500)]
)
def test_it_rounds_the_scale_up_to_a_round_number(value: float, expected: int) -> None:
    assert nice_ceiling(value) == expected


def test_it_scales_columns_to_the_round_maximum() -> None:
    chart = column_chart([("00:00", 0), ("01:00", 5), ("02:00", 10)], width=340, height=224)
    # Plot: 40px of axis on the left, 10px above, 24px below: 300 x 190.
    assert [c.height for c in chart.columns] == [0, 95, 190]
    assert [c.y for c in chart.columns] == [200, 105, 10]
    assert [c.x for c in chart.columns] == [50, 150, 250]
    assert [g.label for g in chart.gridlines] == ["0", "5", "10"]
    assert [c.show_label for c in chart.columns] == [True, False, False]


def test_it_draws_an_empty_chart_without_dividing_by_zero() -> None:
    chart = column_chart([("00:00", 0)] * 48)
    assert {c.height for c in chart.columns} == {0}
    assert column_chart([]).columns == []


def test_it_stacks_bars_on_one_scale_for_every_row() -> None:
    chart = stacked_bars(
        [
            ("mona", [("a", "approved", 30), ("r", "rejected", 10)]),
            ("max", [("a", "approved", 20)]),
        ],
        width=450,
        label_width=100,
    )
    # 450 - 100 of labels - 50 for the totals: 300px for the largest total, 40.
    mona, max_ = chart.rows
    assert [(s.x, s.width) for s in mona.segments] == [(100, 225), (325, 75)]
    assert [(s.x, s.width) for s in max_.segments] == [(100, 150)]
    assert (mona.total, max_.total, chart.height) == (40, 20, 56)


def test_it_splits_a_bar_by_share() -> None:
    parts = [("published", "auto-published", 6), ("held", "held", 3), ("rejected", "r", 1)]
    assert [(s.x, s.width) for s in share_bar(parts, width=100)] == [(0, 60), (60, 30), (90, 10)]
    assert share_bar([("held", "held", 0)]) == []
