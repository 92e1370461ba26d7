"""The load benchmark reads locust's figures and its percentiles as they are."""

from __future__ import annotations

import pytest

from scripts.bench_load import parse_locust_stats, percentile

# The first lines of a `<prefix>_stats.csv` that locust 2.47 wrote during a run of the bench.
STATS = """\
Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,\
Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,\
50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%
GET,/hello/,16371,0,5,5.39,1.80,19.11,6.0,1818.29,0.0,5,6,6,7,8,9,10,11,14,18,19
POST,/post/,10,2,7,7.1,1.9,30.2,0.0,1.0,0.2,7,8,8,9,12,20,30,30,30,30,30
,Aggregated,16381,2,5,5.39,1.80,30.2,6.0,1819.29,0.2,5,6,6,7,8,9,10,12,14,18,30
"""


def test_the_aggregated_row_gives_requests_failures_rate_and_percentiles() -> None:
    result = parse_locust_stats(STATS)
    assert (result.requests, result.failures) == (16381, 2)
    assert result.rps == pytest.approx(1819.29)
    assert (result.p50_ms, result.p99_ms) == (5.0, 12.0)


def test_stats_without_an_aggregated_row_are_refused() -> None:
    with pytest.raises(ValueError, match="Aggregated"):
        parse_locust_stats(STATS.rsplit("\n,Aggregated", 1)[0])


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(100, 0, -1)]  # 100 down to 1
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([3.0], 0.99) == 3.0
    assert percentile([1.0, 2.0, 3.0], 0.5) == 2.0
