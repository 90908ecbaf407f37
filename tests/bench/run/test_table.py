from __future__ import annotations

import dataclasses
import io

from rich.console import Console

from bench.results import LatencySummary, Loop, PointRecord, ServerFigures
from bench.results.summary import summarize, summary_dict
from bench.run.table import render_table
from tests.results_builders import DEMO_INFO, demo_run

INFO = DEMO_INFO


def _record(variant: str, users: int, rps: float, p99: float, loop: Loop = "uvloop") -> PointRecord:
    latency = LatencySummary(
        count=10,
        mean_ms=p99,
        p50_ms=p99 / 2,
        p90_ms=p99,
        p95_ms=p99,
        p99_ms=p99,
        p999_ms=p99,
        max_ms=p99,
        min_ms=1,
    )
    server = ServerFigures(
        cpu_seconds=1.0,
        cpu_ms_per_request=2.0,
        cpu_percent=30.0,
        rss_mb=50.0,
        open_fds=10,
        threads=2,
        loop_lag_p50_ms=0.1,
        loop_lag_p99_ms=0.5,
        loop_lag_max_ms=1.0,
    )
    return PointRecord(
        scenario="demo",
        variant=variant,
        loop=loop,
        users=users,
        status="ok",
        valid=True,
        throughput_rps=rps,
        latency=latency,
        server=server,
    )


def test_summary_keys_and_reference_load() -> None:
    points = [
        _record("bad", 10, 9.0, 1000.0),
        _record("bad", 100, 10.0, 9000.0),
        _record("good", 100, 900.0, 120.0),
        _record("good", 100, 800.0, 150.0, loop="asyncio"),
    ]
    run = demo_run(*points, scenarios=(INFO,))
    summary = summary_dict(run)
    assert set(summary) == {"demo"}
    assert set(summary["demo"]) == {"bad", "good", "headline"}
    good = summary["demo"]["good"]
    for key in (
        "throughput_rps",
        "p50_ms",
        "p99_ms",
        "p99_is_lower_bound",
        "unanswered",
        "loop_lag_p99_ms",
        "cpu_ms_per_request",
        "upstream_connections_per_request",
        "valid",
        "steady_state",
    ):
        assert key in good
    assert good["throughput_rps"] == 900.0
    assert good["upstream_connections_per_request"] is None
    assert summary["demo"]["headline"]["text"] == "x90 fewer req/s"  # an older manifest: throughput
    (pair,) = summarize(run)
    assert (pair.throughput_ratio, pair.p99_ratio) == (90.0, 75.0)
    out = io.StringIO()
    Console(file=out, width=200).print(render_table([pair]))
    assert "90.0x" in out.getvalue() and "x75" in out.getvalue() and "x90 fewer req/s" in out.getvalue()


def test_missing_pair_gives_no_ratio() -> None:
    (pair,) = summarize(demo_run(_record("bad", 100, 10.0, 9000.0), scenarios=(INFO,)))
    assert (pair.throughput_ratio, pair.p99_ratio) == (None, None)
    out = io.StringIO()
    Console(file=out, width=200).print(render_table([pair]))
    assert "9,000.0" in out.getvalue() and "invalid" in out.getvalue()


def test_a_p99_resting_on_unanswered_requests_is_shown_as_a_lower_bound() -> None:
    hung = _record("bad", 100, 10.0, 2950.0)
    assert hung.latency is not None
    hung = dataclasses.replace(
        hung, unanswered=9, latency=dataclasses.replace(hung.latency, lower_bounds=("p99_ms",))
    )
    (pair,) = summarize(demo_run(hung, _record("good", 100, 20.0, 1000.0), scenarios=(INFO,)))
    out = io.StringIO()
    Console(file=out, width=200).print(render_table([pair]))
    assert "≥2,950.0 / 1,000.0" in out.getvalue() and "≥x3.0" in out.getvalue() and "9 / 0" in out.getvalue()


def test_ttfb_figures_only_for_streamed_points() -> None:
    plain = _record("bad", 100, 10.0, 900.0)
    assert plain.latency is not None
    streamed = dataclasses.replace(_record("good", 100, 10.0, 900.0), ttfb=dataclasses.replace(plain.latency))
    summary = summary_dict(demo_run(plain, streamed, scenarios=(INFO,)))
    assert "ttfb_p50_ms" not in summary["demo"]["bad"]
    assert summary["demo"]["good"]["ttfb_p50_ms"] == 450.0
    assert summary["demo"]["good"]["ttfb_p99_ms"] == 900.0
