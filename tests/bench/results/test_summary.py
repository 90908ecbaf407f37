"""Pure logic of the pitfall-vs-fix summary: ratios, verdicts, and rows for missing or failed points."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

import pytest

from bench.results import (
    HeadlineInfo,
    LatencySummary,
    PointRecord,
    RunResults,
    ServerFigures,
    SignalInfo,
    SteadyState,
    point_id,
)
from bench.results.summary import format_bounded_ratio, format_number, format_ratio, summarize, summary_dict
from tests.results_builders import DEMO_INFO, demo_run

_INFO = DEMO_INFO


def _latency(p99_ms: float) -> LatencySummary:
    return LatencySummary(
        count=100, mean_ms=1, p50_ms=1, p90_ms=1, p95_ms=1, p99_ms=p99_ms, p999_ms=1, max_ms=1, min_ms=1
    )


def _point(
    variant: str, *, rps: float, p99_ms: float, status: Literal["ok", "failed"] = "ok", valid: bool = True
) -> PointRecord:
    return PointRecord(
        scenario="demo",
        variant=variant,
        loop="uvloop",
        users=100,
        status=status,
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


# ------------------------------------------------------------------ headline metrics (declared per scenario)

WRITES = HeadlineInfo(
    metric="app:records_written/request",
    name="records written/request",
    better="higher",
    users=10,
    text="loses {loss_pct} of writes",
    digits=2,
    min_gap=0.1,
)
THROUGHPUT = HeadlineInfo(
    metric="throughput_rps", name="req/s", better="higher", users=10, text="{ratio} fewer req/s", unit="req/s"
)
WRITES_SIGNAL = SignalInfo(
    name="records written/request",
    figure="app:records_written/request",
    better="higher",
    digits=2,
    min_gap=0.1,
)


def _app(records: int) -> ServerFigures:
    return ServerFigures(
        cpu_seconds=1.0,
        cpu_ms_per_request=1.0,
        cpu_percent=10.0,
        rss_mb=50.0,
        open_fds=10,
        threads=2,
        loop_lag_p50_ms=None,
        loop_lag_p99_ms=None,
        loop_lag_max_ms=None,
        app_stats={"requests": 100, "records_written": records},
    )


def _at(users: int, variant: str, *, rps: float, p99_ms: float = 100.0, **fields: Any) -> PointRecord:
    return replace(_point(variant, rps=rps, p99_ms=p99_ms), users=users, requests=100, **fields)


def _declared(headline: HeadlineInfo, *points: PointRecord, **manifest: object) -> RunResults:
    info = replace(_INFO, headline=headline, signals=(WRITES_SIGNAL,))
    return demo_run(*points, **{"scenarios": (info,), "reference_users": 10, **manifest})


def test_the_verdict_leads_with_the_headline_and_names_the_fixs_price() -> None:
    run = _declared(
        WRITES, _at(10, "bad", rps=170, server=_app(0)), _at(10, "good", rps=100, server=_app(100))
    )
    (summary,) = summarize(run)
    assert summary.headline is not None and summary.headline.text == "loses 100% of writes"
    assert summary.verdict == "costly: loses 100% of writes; the fix serves x1.7 fewer req/s for it"
    assert summary.cost == float("inf")


def test_a_verdict_never_calls_a_differing_signal_no_difference() -> None:
    # The headline (req/s) is within noise while records written are 0.00 vs 1.00.
    run = _declared(
        THROUGHPUT, _at(10, "bad", rps=100, server=_app(0)), _at(10, "good", rps=101, server=_app(100))
    )
    (summary,) = summarize(run)
    assert summary.signals == ("records written/request 0.00 vs 1.00",)
    assert "no measurable difference" not in summary.verdict
    assert summary.verdict == "req/s within noise; the signals differ: records written/request 0.00 vs 1.00"


def test_a_fix_worse_on_its_own_headline_is_said_plainly() -> None:
    (summary,) = summarize(_declared(THROUGHPUT, _at(10, "bad", rps=120), _at(10, "good", rps=80)))
    assert summary.verdict == "the fix is worse on req/s here: 120.0 vs 80.0 req/s (pitfall vs fix)"


def test_each_scenario_is_compared_at_the_load_the_run_chose_for_it() -> None:
    points = [
        _at(u, v, rps=r)
        for u, v, r in ((10, "bad", 10), (10, "good", 100), (100, "bad", 10), (100, "good", 400))
    ]
    (chosen,) = summarize(_declared(THROUGHPUT, *points, reference_users_by_scenario={"demo": 10}))
    assert chosen.users == 10 and chosen.headline is not None and chosen.headline.text == "x10 fewer req/s"
    (fallback,) = summarize(_declared(THROUGHPUT, *points, reference_users=100))
    assert fallback.users == 100  # an older manifest: the run-wide reference load


def test_an_unsteady_point_is_a_problem_named_in_the_verdict_and_its_p99_a_lower_bound() -> None:
    unsteady = SteadyState(
        reached=False,
        first_half_rps=30,
        second_half_rps=15,
        in_flight_whole_window=3,
        reasons=("collapsing",),
    )
    hung = LatencySummary(
        count=100,
        mean_ms=1,
        p50_ms=1,
        p90_ms=1,
        p95_ms=1,
        p99_ms=2950,
        p999_ms=1,
        max_ms=1,
        min_ms=1,
        lower_bounds=("p99_ms",),
    )
    pitfall = _at(10, "bad", rps=20, latency=hung, unanswered=9, steady_state=unsteady)
    (summary,) = summarize(_declared(THROUGHPUT, pitfall, _at(10, "good", rps=40, p99_ms=1000)))
    assert summary.verdict == "costly: x2.0 fewer req/s (check: not at steady state)"
    assert summary.problems == ("demo__bad__uvloop__u10 not at steady state: collapsing",)
    assert summary.p99_bound == "lower"
    assert format_bounded_ratio(summary.p99_ratio or 0, summary.p99_bound) == "≥x3.0"


def test_summary_json_has_the_headline_per_scenario_and_censoring_per_variant() -> None:
    hung = LatencySummary(
        count=100,
        mean_ms=1,
        p50_ms=1,
        p90_ms=1,
        p95_ms=1,
        p99_ms=2950,
        p999_ms=1,
        max_ms=1,
        min_ms=1,
        lower_bounds=("p99_ms",),
    )
    run = _declared(
        THROUGHPUT,
        _at(10, "bad", rps=10, latency=hung, unanswered=9),
        _at(10, "good", rps=100),
        _at(100, "good", rps=1),
    )
    summary = summary_dict(run)
    assert set(summary["demo"]) == {"bad", "good", "headline"}
    assert (summary["demo"]["bad"]["unanswered"], summary["demo"]["bad"]["p99_is_lower_bound"]) == (9, True)
    assert (summary["demo"]["good"]["unanswered"], summary["demo"]["good"]["p99_is_lower_bound"]) == (
        0,
        False,
    )
    headline = summary["demo"]["headline"]
    assert {"metric", "unit", "better", "users", "pitfall", "fix", "ratio", "text"} <= set(headline)
    assert (headline["metric"], headline["users"], headline["ratio"], headline["text"]) == (
        "throughput_rps",
        10,
        10.0,
        "x10 fewer req/s",
    )
