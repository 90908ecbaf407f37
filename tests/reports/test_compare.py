"""Noise-aware verdicts of `compare` (pure logic over constructed records) and loading repeats."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest

from bench.results import (
    LatencySummary,
    PointRecord,
    ResultsError,
    RunResults,
    write_manifest,
    write_point,
)
from reports.compare import compare_runs, load_side
from tests.results_builders import demo_run, minimal_manifest


def _point(
    *,
    rps: float,
    p99_ms: float,
    users: int = 10,
    status: Literal["ok", "failed"] = "ok",
    requests: int = 100_000,
) -> PointRecord:
    # Many requests by default, so sampling noise is negligible and the threshold alone decides.
    latency = LatencySummary(
        count=requests,
        mean_ms=1,
        p50_ms=p99_ms / 2,
        p90_ms=1,
        p95_ms=1,
        p99_ms=p99_ms,
        p999_ms=1,
        max_ms=1,
        min_ms=1,
    )
    return PointRecord(
        scenario="demo",
        variant="v",
        loop="uvloop",
        users=users,
        status=status,
        valid=True,
        requests=requests,
        throughput_rps=rps if status == "ok" else 0.0,
        latency=latency if status == "ok" else None,
    )


def _run(*points: PointRecord) -> RunResults:
    return demo_run(*points, run_id="r", reference_users=10)


def _verdicts(base: list[RunResults], new: list[RunResults], threshold_pct: float = 10.0) -> dict[str, str]:
    (point,) = compare_runs(base, new, threshold_pct=threshold_pct).points
    return {c.metric: c.verdict for c in point.changes}


def test_lower_throughput_and_higher_p99_are_worse() -> None:
    verdicts = _verdicts([_run(_point(rps=100, p99_ms=200))], [_run(_point(rps=50, p99_ms=400))])
    assert verdicts == {"throughput_rps": "worse", "p50_ms": "worse", "p99_ms": "worse"}


def test_higher_throughput_and_lower_p99_are_better() -> None:
    verdicts = _verdicts([_run(_point(rps=100, p99_ms=200))], [_run(_point(rps=150, p99_ms=100))])
    assert verdicts == {"throughput_rps": "better", "p50_ms": "better", "p99_ms": "better"}


def test_change_inside_the_threshold_is_unchanged() -> None:
    verdicts = _verdicts([_run(_point(rps=100, p99_ms=200))], [_run(_point(rps=95, p99_ms=210))])
    assert set(verdicts.values()) == {"unchanged"}


def test_spread_of_repeats_widens_the_band() -> None:
    # Base repeats swing between 60 and 140 req/s: a 25% drop of the mean is within that noise.
    base = [_run(_point(rps=r, p99_ms=200)) for r in (60, 140, 100)]
    new = [_run(_point(rps=r, p99_ms=200)) for r in (40, 110, 75)]
    comparison = compare_runs(base, new, threshold_pct=10.0)
    (change,) = [c for c in comparison.points[0].changes if c.metric == "throughput_rps"]
    assert change.band_pct > 25.0
    assert change.verdict == "unchanged"
    assert comparison.points[0].base_repeats == 3


def test_tight_repeats_keep_the_explicit_threshold_as_the_floor() -> None:
    base = [_run(_point(rps=r, p99_ms=200)) for r in (100, 100.5, 99.5)]
    new = [_run(_point(rps=r, p99_ms=200)) for r in (80, 80.5, 79.5)]
    (point,) = compare_runs(base, new, threshold_pct=10.0).points
    (change,) = [c for c in point.changes if c.metric == "throughput_rps"]
    assert change.band_pct == pytest.approx(10.0)
    assert change.verdict == "worse"
    assert change.worse_pct == pytest.approx(20.0)


def test_regressions_respect_the_limit() -> None:
    comparison = compare_runs([_run(_point(rps=100, p99_ms=200))], [_run(_point(rps=70, p99_ms=200))])
    assert [c.metric for _, c in comparison.regressions(20.0)] == ["throughput_rps"]
    assert comparison.regressions(35.0) == []


def test_a_point_that_fails_in_new_is_lost_and_a_regression() -> None:
    comparison = compare_runs(
        [_run(_point(rps=100, p99_ms=200))], [_run(_point(rps=0, p99_ms=0, status="failed"))]
    )
    (point,) = comparison.points
    assert {c.verdict for c in point.changes} == {"lost"}
    assert point.notes == ("new: failed",)
    assert len(comparison.regressions(99.0)) == 3


def test_a_point_new_in_new_is_missing_not_a_regression() -> None:
    comparison = compare_runs([_run()], [_run(_point(rps=100, p99_ms=200))])
    (point,) = comparison.points
    assert {c.verdict for c in point.changes} == {"missing"}
    assert point.notes == ("base: not measured",)
    assert comparison.regressions(0.0) == []


def test_negative_threshold_is_rejected() -> None:
    with pytest.raises(ValueError, match="threshold_pct"):
        compare_runs([], [], threshold_pct=-1)


def test_load_side_reads_a_directory_of_repeats(tmp_path: Path) -> None:
    for name in ("r1", "r2"):
        write_manifest(tmp_path / name, minimal_manifest(run_id=name, reference_users=10))
        write_point(tmp_path / name, _point(rps=100, p99_ms=200))
    runs = load_side(tmp_path)
    assert [r.manifest.run_id for r in runs] == ["r1", "r2"]
    assert load_side(tmp_path / "r1")[0].manifest.run_id == "r1"


def test_load_side_rejects_a_directory_without_results(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match=r"no manifest\.json"):
        load_side(tmp_path)


def test_a_percentile_resting_on_few_requests_is_not_judged() -> None:
    # 200 requests put 2 beyond p99: its +100 % is not evidence, p50 and throughput still are.
    comparison = compare_runs(
        [_run(_point(rps=100, p99_ms=200, requests=200))], [_run(_point(rps=100, p99_ms=400, requests=200))]
    )
    (point,) = comparison.points
    verdicts = {c.metric: (c.verdict, c.reason) for c in point.changes}
    assert verdicts["p99_ms"] == ("not comparable", "base: too few requests beyond p99")
    assert verdicts["p50_ms"][0] == "worse"  # p50 doubled too, on 100 requests either side
    assert [c.metric for _, c in comparison.regressions(10.0)] == ["p50_ms"]


def test_a_rate_from_few_answers_has_a_wide_band() -> None:
    # 25 answers a side: a 20 % change is within two standard errors of a count (2 x sqrt(2/25) = 57 %).
    (point,) = compare_runs(
        [_run(_point(rps=10, p99_ms=200, requests=25))], [_run(_point(rps=8, p99_ms=200, requests=25))]
    ).points
    (change,) = [c for c in point.changes if c.metric == "throughput_rps"]
    assert change.verdict == "unchanged" and change.band_pct > 50


def test_a_point_below_littles_law_is_not_steady_and_never_a_regression() -> None:
    from dataclasses import replace

    from bench.results import TheoryFigures

    filling = replace(
        _point(rps=10, p99_ms=3000),
        theory=TheoryFigures(
            throughput_rps=10, latency_ms=1000, littles_law_bound_rps=100, closed_loop_fidelity=0.85
        ),
    )
    comparison = compare_runs([_run(filling)], [_run(_point(rps=5, p99_ms=9000))])
    (point,) = comparison.points
    assert {c.verdict for c in point.changes} == {"not comparable"}
    assert "closed-loop fidelity 0.85" in point.changes[0].reason
    assert comparison.regressions(0.0) == []
