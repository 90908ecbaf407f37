"""Pure logic of the pitfall-vs-fix signals: evidence beyond req/s and p99, and only when it differs."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

import pytest

import scenarios
from bench.results import DatabaseFigures, PointRecord, ServerFigures, UpstreamFigures
from bench.results.named_figures import check_figure, figure_value
from bench.results.summary import pair_signals as _pair_signals
from bench.run.metadata import signal_info

# Every signal some scenario declares, once each, in catalogue order.
SIGNALS = tuple(
    signal_info(signal)
    for signal in dict.fromkeys(signal for scenario in scenarios.catalogue() for signal in scenario.signals)
)


def pair_signals(pitfall: PointRecord | None, fix: PointRecord | None) -> tuple[str, ...]:
    return _pair_signals(pitfall, fix, SIGNALS)


def _point(
    *,
    requests: int = 100,
    failures: int = 0,
    upstream_requests: int = 100,
    rate_limited: int = 0,
    connections_per_request: float = 0.0,
    app_stats: dict[str, Any] | None = None,
    status: Literal["ok", "failed"] = "ok",
) -> PointRecord:
    return PointRecord(
        scenario="demo",
        variant="v",
        loop="uvloop",
        users=10,
        status=status,
        valid=True,
        requests=requests,
        failures=failures,
        server=ServerFigures(
            cpu_seconds=1.0,
            cpu_ms_per_request=1.0,
            cpu_percent=10.0,
            rss_mb=50.0,
            open_fds=10,
            threads=2,
            loop_lag_p50_ms=None,
            loop_lag_p99_ms=None,
            loop_lag_max_ms=None,
            app_stats=app_stats or {},
        ),
        upstream=UpstreamFigures(
            requests=upstream_requests,
            peak_concurrency=1,
            connections_opened=0,
            connections_per_request=connections_per_request,
            rate_limited=rate_limited,
            server_errors=0,
            hangs=0,
        ),
    )


def test_identical_points_have_nothing_to_add() -> None:
    assert pair_signals(_point(), _point()) == ()


def test_rate_limits_and_amplification_are_named_pitfall_first() -> None:
    signals = pair_signals(_point(rate_limited=533, upstream_requests=2000, failures=8), _point())
    assert "upstream 429s 533 vs 0" in signals
    assert "upstream calls/request 20.0 vs 1.0" in signals
    assert "failed requests 8 vs 0" in signals


def test_a_counter_the_app_never_incremented_counts_as_zero_writes() -> None:
    lost = _point(app_stats={"requests": 50})
    kept = _point(app_stats={"requests": 50, "records_written": 50})
    assert pair_signals(lost, kept) == ("records written/request 0.00 vs 1.00",)


def test_small_absolute_differences_are_noise_not_signal() -> None:
    assert pair_signals(_point(connections_per_request=0.01), _point(connections_per_request=0.03)) == ()
    assert pair_signals(_point(connections_per_request=0.9), _point(connections_per_request=0.0)) == (
        "new connections/request 0.90 vs 0.00",
    )


def test_failed_or_missing_points_give_no_signal() -> None:
    assert pair_signals(None, _point()) == ()
    assert pair_signals(_point(status="failed"), _point(rate_limited=5)) == ()


def test_a_scenario_that_declares_no_signals_gets_no_phrases() -> None:
    assert _pair_signals(_point(rate_limited=533), _point(), ()) == ()


# What a database scenario's point carries (and only such a point).
DATABASE = DatabaseFigures(
    samples=150,
    sample_every_ms=20.0,
    active_peak=1,
    active_at_peak=1,
    idle_in_transaction_at_peak=9,
    connections_peak=10,
    pool_checked_out_peak=10,
    pool_waiting_peak=30,
    pool_timeouts=12,
)


def test_every_declared_figure_is_one_the_results_can_read() -> None:
    for scenario in scenarios.catalogue():
        for signal in scenario.signals:
            check_figure(signal.figure)  # raises on an unknown name
            point = _point(app_stats={"requests": 10, "attempts": 30, "gave_up": 1, "records_written": 10})
            if scenario.database is not None:
                point = replace(point, database=DATABASE)
            assert figure_value(point, signal.figure) is not None or signal.figure == "ttfb_p50_ms"


def test_database_figures_are_none_on_a_point_without_a_database() -> None:
    assert figure_value(_point(), "db_pool_waiting_peak") is None
    assert figure_value(replace(_point(), database=DATABASE), "db_pool_waiting_peak") == 30.0


def test_an_unknown_figure_is_rejected_with_the_vocabulary() -> None:
    with pytest.raises(ValueError, match="upstream_429s"):
        check_figure("upstream_teapots")
    with pytest.raises(ValueError):
        check_figure("app:records written/request")
