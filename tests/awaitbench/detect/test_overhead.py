"""The overhead benchmarks' plumbing and arithmetic (they are benchmarks: nothing here judges speed)."""

from __future__ import annotations

import pytest

from awaitbench.detect.overhead import OverheadResult, RoundResult, RunResult
from awaitbench.detect.overhead_asgi import measure_asgi_overhead


def _round(plain_rps: float, watched_rps: float, cpu_percent: float) -> RoundResult:
    def run(rps: float) -> RunResult:
        return RunResult(rps=rps, cpu_ms_per_request=1000.0 / rps, server_cpu_percent=cpu_percent)

    return RoundResult(plain=run(plain_rps), watched=run(watched_rps))


def test_only_server_bound_rounds_count_when_there_are_some() -> None:
    result = OverheadResult(
        rounds=(_round(1000, 990, 97), _round(1000, 400, 40), _round(1000, 970, 95)),
        plain_idle_cpu_percent=0.2,
        watched_idle_cpu_percent=0.8,
        cpus=2,
    )
    assert len(result.counted) == 2  # the 40%-CPU round was held back by something else
    assert result.median_ratio == pytest.approx(0.98)
    assert result.throughput_cost_percent == pytest.approx(2.0)


def test_all_rounds_count_when_none_is_server_bound() -> None:
    result = OverheadResult(
        rounds=(_round(500, 450, 40), _round(500, 550, 50)),
        plain_idle_cpu_percent=0.0,
        watched_idle_cpu_percent=0.0,
        cpus=2,
    )
    assert len(result.counted) == 2


def test_in_process_benchmark_measures_both_variants_and_the_monitor() -> None:
    result = measure_asgi_overhead(rounds=2, requests=200, concurrency=8)
    assert len(result.plain_us) == len(result.watched_us) == len(result.monitor_us) == 2
    assert all(us > 0 for us in (*result.plain_us, *result.watched_us))
    assert all(us >= 0 for us in result.monitor_us)
    assert result.median_ratio > 0
