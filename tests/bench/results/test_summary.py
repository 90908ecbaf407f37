"""Pure logic of the pitfall-vs-fix summary: ratios, verdicts, and rows for missing or failed points."""

from __future__ import annotations

import pytest

from bench.results import (
    LatencySummary,
    PointRecord,
    RunResults,
    point_id,
)
from bench.results.summary import format_number, format_ratio, summarize
from tests.results_builders import DEMO_INFO, demo_run

_INFO = DEMO_INFO


def _latency(p99_ms: float) -> LatencySummary:
    return LatencySummary(
        count=100, mean_ms=1, p50_ms=1, p90_ms=1, p95_ms=1, p99_ms=p99_ms, p999_ms=1, max_ms=1, min_ms=1
    )


def _point(variant: str, *, rps: float, p99_ms: float, status: str = "ok", valid: bool = True) -> PointRecord:
    return PointRecord(
        scenario="demo",
        variant=variant,
        loop="uvloop",
        users=100,
        status=status,  # type: ignore[arg-type]
        valid=valid,
        throughput_rps=rps,
        latency=_latency(p99_ms) if status == "ok" else None,
        error=None if status == "ok" else "app died",
    )


def _run(*points: PointRecord) -> RunResults:
    return demo_run(
        *points,
        scenarios=(_INFO,),
        planned_points=tuple(point_id("demo", v, "uvloop", 100) for v in ("bad", "good")),
    )


def test_ratios_are_fix_over_pitfall_for_throughput_and_pitfall_over_fix_for_p99() -> None:
    (summary,) = summarize(_run(_point("bad", rps=10, p99_ms=5000), _point("good", rps=400, p99_ms=125)))
    assert summary.throughput_ratio == pytest.approx(40.0)
    assert summary.p99_ratio == pytest.approx(40.0)
    assert summary.verdict.startswith("costly")
    assert "x40 less throughput" in summary.verdict
    assert summary.problems == ()


def test_equal_variants_are_no_measurable_difference() -> None:
    (summary,) = summarize(_run(_point("bad", rps=100, p99_ms=110), _point("good", rps=104, p99_ms=105)))
    assert summary.verdict == "no measurable difference"


def test_missing_and_failed_points_are_named_not_crashed_on() -> None:
    (summary,) = summarize(_run(_point("bad", rps=0, p99_ms=0, status="failed")))
    assert summary.throughput_ratio is None
    assert summary.verdict.startswith("no comparison")
    assert any("demo__bad__uvloop__u100 failed: app died" in p for p in summary.problems)
    assert any("demo__good__uvloop__u100 not measured" in p for p in summary.problems)


def test_invalid_point_is_flagged_in_the_verdict() -> None:
    (summary,) = summarize(
        _run(_point("bad", rps=10, p99_ms=900, valid=False), _point("good", rps=100, p99_ms=100))
    )
    assert "check" in summary.verdict
    assert any("invalid" in p for p in summary.problems)


@pytest.mark.parametrize(("ratio", "text"), [(38.4, "x38"), (3.21, "x3.2"), (1.0, "x1.0"), (0.854, "x0.85")])
def test_format_ratio(ratio: float, text: str) -> None:
    assert format_ratio(ratio) == text


def test_format_number_dash_for_missing() -> None:
    assert format_number(None) == "-"
    assert format_number(12.345) == "12.3"


def test_a_fix_that_wins_one_ratio_and_loses_the_other_is_mixed() -> None:
    (summary,) = summarize(_run(_point("bad", rps=100, p99_ms=400), _point("good", rps=50, p99_ms=100)))
    assert summary.verdict == "mixed: x4.0 slower p99, fix x2.0 less throughput"


def test_a_fix_that_loses_both_says_so() -> None:
    (summary,) = summarize(_run(_point("bad", rps=100, p99_ms=100), _point("good", rps=50, p99_ms=300)))
    assert summary.verdict == "fix is slower here: fix x2.0 less throughput, fix x3.0 slower p99"
