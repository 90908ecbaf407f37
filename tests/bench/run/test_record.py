"""`record_from`: the arithmetic from a window's readings to the stored record, without any process."""

from __future__ import annotations

from dataclasses import replace

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
    fields: dict[str, object] = {
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
    return WindowReadings(**{**fields, **overrides})  # type: ignore[arg-type]


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
