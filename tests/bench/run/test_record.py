"""`record_from`: the arithmetic from a window's readings to the stored record, without any process."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from bench.measure.requests import WindowCounts
from bench.measure.sampling import TreeSample, WindowCpu
from bench.run.config import RunConfig
from bench.run.plan import PlannedPoint
from bench.run.record import WindowReadings, record_from
from fake_llm.stats import ServerStats
from tests.bench.helpers import make_scenario

SCENARIO = make_scenario("demo")


def _cpu(percent: float, processes: int = 1) -> WindowCpu:
    return WindowCpu(
        cpu_seconds=percent / 100 * 3,
        cpu_percent=percent,
        busiest_process_percent=percent,
        processes=processes,
    )


def _counts(
    requests: int,
    failures: int = 0,
    latency_ms: float = 100.0,
    *,
    censored_ms: tuple[float, ...] = (),
    ok_per_half: tuple[int, int] | None = None,
    in_flight_age_ms: tuple[float, float] = (50.0, 50.0),
    in_flight_whole_window: int = 0,
) -> WindowCounts:
    ok = requests - failures
    return WindowCounts(
        requests=requests,
        failures=failures,
        answered_ms=np.full(requests, latency_ms),
        censored_ms=np.array(censored_ms, dtype=float),
        ttfb_ms=np.array([]),
        ok_per_half=ok_per_half or (ok // 2, ok - ok // 2),
        in_flight_age_ms=in_flight_age_ms,
        in_flight_whole_window=in_flight_whole_window,
    )


def _readings(
    *, requests: int, failures: int = 0, latency_ms: float = 100.0, **overrides: object
) -> WindowReadings:
    fields: dict[str, Any] = {
        "started_at": "2026-01-01T00:00:00+00:00",
        "window_s": 2.0,
        "counts": _counts(requests, failures, latency_ms),
        "cpu": {"app": _cpu(40.0), "locust": _cpu(30.0), "fake": _cpu(20.0)},
        "app_resources": TreeSample(rss_mb=50.0, open_fds=12, threads=3, processes=1),
        "machine_cpu_percent": 50.0,
        "upstream_stats": replace(
            ServerStats().snapshot(), requests_total=requests, connections_opened=10, peak_in_flight=10
        ),
        "probe": {"lag_p99_ms": 1.5},
        "app_stats": {"requests": requests},
    }
    return WindowReadings(**{**fields, **overrides})


def _point(users: int = 10) -> PlannedPoint:
    return PlannedPoint(scenario=SCENARIO, variant=SCENARIO.variant("good"), loop="uvloop", users=users)


CONFIG = RunConfig(users=(10,), reference_users=10, duration_s=2.0, warmup_s=1.0)


def test_goodput_counts_successful_answers_only() -> None:
    record = record_from(_readings(requests=200, failures=50), point=_point(), config=CONFIG)
    assert record.status == "ok" and record.valid
    assert record.throughput_rps == 75.0  # (200 - 50) / 2 s
    assert record.latency is not None and record.latency.count == 200  # failures have a latency too
    assert record.upstream is not None and record.upstream.connections_per_request == 0.05


def test_a_closed_loop_that_kept_every_user_busy_has_fidelity_one() -> None:
    # 10 users, 100 ms each: 100 req/s over 2 s = 200 answers.
    record = record_from(_readings(requests=200), point=_point(), config=CONFIG)
    assert record.theory is not None and record.theory.closed_loop_fidelity == 1.0


def test_too_few_requests_or_a_saturated_generator_make_the_point_invalid() -> None:
    few = record_from(_readings(requests=5), point=_point(), config=CONFIG)
    assert not few.valid and any("only 5 requests" in reason for reason in few.invalid_reasons)
    busy = _readings(requests=200, cpu={"app": _cpu(40.0), "locust": _cpu(95.0), "fake": _cpu(20.0)})
    record = record_from(busy, point=_point(), config=CONFIG)
    assert not record.valid and any("load generator CPU" in reason for reason in record.invalid_reasons)


def test_a_theory_latency_beyond_the_window_is_a_warning() -> None:
    # The pitfall's theory R = U x 100 ms = 5 s at 50 users: longer than warm-up + window (3 s).
    point = PlannedPoint(scenario=SCENARIO, variant=SCENARIO.variant("bad"), loop="uvloop", users=50)
    record = record_from(_readings(requests=20), point=point, config=CONFIG)
    assert record.loadgen is not None
    assert any("theory predicts R = 5000 ms" in warning for warning in record.loadgen.warnings)


def test_hung_requests_count_as_unanswered_and_make_the_p99_a_lower_bound() -> None:
    # 100 answers at 100 ms; 5 requests in flight for 2.5 s and 1 young one (30 ms) at the window's end.
    counts = _counts(100, censored_ms=(2500.0,) * 5 + (30.0,))
    record = record_from(_readings(requests=100, counts=counts), point=_point(), config=CONFIG)
    assert record.unanswered == 5  # the young one is not older than any answer
    assert record.latency is not None and record.latency.censored == 6
    assert record.latency.p99_ms == 2500.0 and record.latency.is_lower_bound("p99_ms")
    assert record.latency.p50_ms == 100.0 and not record.latency.is_lower_bound("p50_ms")


def test_a_window_whose_throughput_collapses_is_flagged_not_steady() -> None:
    steady = record_from(_readings(requests=200), point=_point(), config=CONFIG)
    assert steady.steady and steady.steady_state is not None and steady.steady_state.reached
    collapsing = _counts(90, ok_per_half=(60, 30), in_flight_age_ms=(400.0, 1500.0), in_flight_whole_window=4)
    record = record_from(_readings(requests=90, counts=collapsing), point=_point(), config=CONFIG)
    assert not record.steady and record.valid  # flagged, not invalid: the figures stay
    assert record.steady_state is not None and len(record.steady_state.reasons) == 2


RATE_CONFIG = RunConfig(rates=(40.0,), arrival="poisson", duration_s=2.0, warmup_s=1.0, max_outstanding=50)


def _rate_point(variant: str, rate: float = 40.0) -> PlannedPoint:
    return PlannedPoint(scenario=SCENARIO, variant=SCENARIO.variant(variant), loop="uvloop", rate_rps=rate)


def _open_loop_counts(*, lag_ms: float = 0.5, dropped: int = 0) -> WindowCounts:
    # 18 answered at 100 ms, 2 errors, `dropped` dropped, 60 requests due in the 2 s window at 30 req/s.
    answered = np.full(20, 100.0)
    return WindowCounts(
        requests=20 + dropped,
        failures=2 + dropped,
        answered_ms=answered,
        censored_ms=np.array([40.0]),
        ttfb_ms=np.array([]),
        ok_per_half=(9, 9),
        issued=21 + dropped,
        dropped_ms=np.full(dropped, 1500.0),
        lag_ms=np.full(21, lag_ms),
        in_flight_count=(1, 1),
    )


def test_an_open_loop_point_is_keyed_by_its_rate_and_counts_dropped_requests_as_failures() -> None:
    readings = _readings(requests=22, counts=_open_loop_counts(dropped=2))
    record = record_from(readings, point=_rate_point("good"), config=RATE_CONFIG)
    assert (record.load, record.offered_rps, record.users) == ("rate", 40.0, 0)
    assert record.id == "demo__good__uvloop__r40"
    assert (record.requests, record.failures, record.dropped) == (22, 4, 2)
    assert record.throughput_rps == 9.0  # (22 - 4) / 2 s: a dropped request is never served
    assert record.latency is not None and record.latency.censored == 3  # 1 in flight + 2 dropped
    assert record.arrival is not None
    assert (record.arrival.arrival, record.arrival.issued, record.arrival.max_outstanding) == (
        "poisson",
        23,
        50,
    )
    assert record.arrival.schedule_lag_p99_ms == 0.5
    assert record.theory is not None and record.theory.closed_loop_fidelity is None  # not a closed loop
    assert record.theory.littles_law_bound_rps == 40.0 and record.theory.capacity_rps is None
    assert record.steady_state is not None and record.steady_state.backlog_start == 1


def test_a_late_generator_makes_an_open_loop_point_invalid() -> None:
    readings = _readings(requests=22, counts=_open_loop_counts(lag_ms=9.0))
    record = record_from(readings, point=_rate_point("good"), config=RATE_CONFIG)
    assert not record.valid
    assert any("schedule lag p99 9.0 ms" in reason for reason in record.invalid_reasons)


def test_an_offered_rate_beyond_the_theorys_capacity_predicts_a_growing_queue() -> None:
    record = record_from(
        _readings(requests=22, counts=_open_loop_counts()), point=_rate_point("bad"), config=RATE_CONFIG
    )
    theory = record.theory
    assert theory is not None and theory.capacity_rps == 10.0 and theory.throughput_rps == 10.0
    # FIFO: offered 4x the capacity, a request issued 2 s into the load (1 s warm-up + half the window)
    # waits (40 / 10 - 1) x 2 s beyond its 100 ms.
    assert theory.latency_ms == 100.0 + 6000.0
    assert record.loadgen is not None
    assert any("beyond the theory's capacity 10" in warning for warning in record.loadgen.warnings)
