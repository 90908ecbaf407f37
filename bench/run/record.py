"""From what a point's window read off its children to the `PointRecord` that is stored: pure arithmetic.

Why a module of its own: every rule that turns readings into figures (goodput, validity, warnings, theory
fidelity) is testable here without starting a process.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from bench.measure.censoring import survival
from bench.measure.database import SAMPLE_EVERY_S, ActivitySample, database_figures
from bench.measure.figures import open_loop_theory, server_figures, theory_figures, upstream_figures
from bench.measure.requests import WindowCounts, latency_summary
from bench.measure.sampling import TreeSample, WindowCpu
from bench.measure.steady import steady_state
from bench.measure.validity import PointHealth, invalid_reasons, warnings_for
from bench.results import ArrivalFigures, LoadgenFigures, PointRecord, SteadyState, TheoryFigures
from bench.run.config import RunConfig
from bench.run.plan import PlannedPoint
from fake_llm.snapshot import StatsSnapshot

__all__ = ["WindowReadings", "record_from"]


@dataclass(frozen=True, kw_only=True)
class WindowReadings:
    """Everything read during and right after one point's window.

    Args:
        started_at: when the point started (ISO 8601).
        window_s: the window's measured length.
        counts: what Locust's per-request logs say about the window: answers inside it, and every
            request issued in it (answered, or still in flight at its end).
        cpu: CPU of each child's process tree over the window: "app", "locust" (the load generator:
            Locust, or the open loop), "fake".
        app_resources: the app's RSS, fds and threads at the window's end.
        machine_cpu_percent: every core over the window (None when not measured).
        upstream_stats: fake_llm's /stats, reset at the window's start.
        probe: the app's in-process probe (loop lag, threadpool), merged over its workers.
        app_stats: the variant's own counters from /app-stats.
        loadgen_cpu_warning: Locust reported its own CPU above 90 % during the window.
        profile_files: py-spy outputs, relative to the results directory.
        database: pg_stat_activity through the window (None: the scenario uses no database).
    """

    started_at: str
    window_s: float
    counts: WindowCounts
    cpu: Mapping[str, WindowCpu]
    app_resources: TreeSample
    machine_cpu_percent: float | None
    upstream_stats: StatsSnapshot
    probe: Mapping[str, Any]
    app_stats: Mapping[str, Any]
    loadgen_cpu_warning: bool = False
    profile_files: tuple[str, ...] = ()
    database: tuple[ActivitySample, ...] | None = None


def _warnings(
    readings: WindowReadings,
    health: PointHealth,
    theory: TheoryFigures,
    config: RunConfig,
    rate_rps: float | None,
) -> tuple[str, ...]:
    warnings = warnings_for(health)
    if readings.profile_files:
        warnings += ("profiled with py-spy during the window (adds sampling CPU)",)
    if rate_rps is not None:
        capacity = theory.capacity_rps
        if capacity is not None and rate_rps > capacity:
            warnings += (
                f"offered {rate_rps:g} req/s beyond the theory's capacity {capacity:g} req/s: the queue "
                "grows without end, so latencies depend on how long the load ran (no steady state)",
            )
    elif theory.latency_ms > (config.warmup_s + config.duration_s) * 1000.0:
        warnings += (
            f"theory predicts R = {theory.latency_ms:.0f} ms, longer than warm-up + window: the queue "
            "was still filling, so latencies are lower than at steady state (throughput is not affected)",
        )
    return warnings


def _lag_p99_ms(counts: WindowCounts) -> float | None:
    return float(np.percentile(counts.lag_ms, 99)) if counts.lag_ms.size else None


def _health(readings: WindowReadings, config: RunConfig, *, open_loop: bool) -> PointHealth:
    counts, cpu = readings.counts, readings.cpu
    return PointHealth(
        requests=counts.requests,
        min_requests=config.min_requests,
        # Per process, not averaged over the tree: two saturated Locust workers beside an idle master
        # average 67 %, yet both workers were out of CPU.
        loadgen_cpu_percent_per_process=cpu["locust"].busiest_process_percent,
        loadgen_cpu_warning=readings.loadgen_cpu_warning,
        fake_llm_cpu_percent=cpu["fake"].cpu_percent,
        machine_cpu_percent=readings.machine_cpu_percent,
        schedule_lag_p99_ms=_lag_p99_ms(counts) if open_loop else None,
        open_loop=open_loop,
    )


def _steady_state(counts: WindowCounts, window_s: float, *, open_loop: bool) -> SteadyState | None:
    if window_s <= 0:
        return None
    return steady_state(
        ok_per_half=counts.ok_per_half,
        in_flight_age_ms=counts.in_flight_age_ms,
        in_flight_whole_window=counts.in_flight_whole_window,
        window_s=window_s,
        backlog=counts.in_flight_count if open_loop else None,
        issued=counts.issued,
    )


def _arrival_figures(counts: WindowCounts, point: PlannedPoint, config: RunConfig) -> ArrivalFigures:
    lag = counts.lag_ms

    def at(q: float) -> float:
        return round(float(np.percentile(lag, q)), 3) if lag.size else 0.0

    return ArrivalFigures(
        arrival=config.arrival_process,
        offered_rps=float(point.rate_rps or 0.0),
        issued=counts.issued,
        dropped=counts.dropped,
        max_outstanding=config.max_outstanding,
        seed=config.seed,
        schedule_lag_p50_ms=at(50),
        schedule_lag_p99_ms=at(99),
        schedule_lag_max_ms=round(float(lag.max()), 3) if lag.size else 0.0,
    )


def _theory(point: PlannedPoint, config: RunConfig, window_s: float) -> TheoryFigures:
    if point.rate_rps is None:
        return theory_figures(
            point.scenario,
            point.variant.id,
            users=point.users,
            workers=config.app_workers,
            preset=config.preset,
        )
    return open_loop_theory(
        point.scenario,
        point.variant.id,
        rate_rps=point.rate_rps,
        workers=config.app_workers,
        preset=config.preset,
        elapsed_s=config.warmup_s + window_s / 2.0,
    )


def record_from(readings: WindowReadings, *, point: PlannedPoint, config: RunConfig) -> PointRecord:
    """The stored record of a measured point: figures, validity, warnings and the theory beside them.

    An open-loop point (`point.rate_rps`) is keyed by its offered rate (`users` 0), counts dropped
    requests as failures and as requests with no answer, and carries the generator's schedule figures.
    """
    counts, cpu = readings.counts, readings.cpu
    open_loop = point.rate_rps is not None
    health = _health(readings, config, open_loop=open_loop)
    window_s = readings.window_s
    theory = _theory(point, config, window_s)
    # Goodput: successful answers per second (a 429 is not a served user).
    throughput_rps = (counts.requests - counts.failures) / window_s if window_s > 0 else 0.0
    # Every request issued in the window: answered, still in flight, or (open loop) dropped.
    latency = latency_summary(counts.answered_ms, counts.lower_bound_ms)
    if not open_loop and latency is not None and latency.mean_ms > 0:
        fidelity = throughput_rps / (point.users * 1000.0 / latency.mean_ms)
        theory = replace(theory, closed_loop_fidelity=round(fidelity, 4))
    reasons = invalid_reasons(health)
    return PointRecord(
        scenario=point.scenario.id,
        variant=point.variant.id,
        loop=point.loop,
        users=point.users,
        status="ok",
        valid=not reasons,
        invalid_reasons=reasons,
        started_at=readings.started_at,
        warmup_s=config.warmup_s,
        window_s=round(window_s, 4),
        requests=counts.requests,
        failures=counts.failures,
        throughput_rps=round(throughput_rps, 3),
        latency=latency,
        server=server_figures(
            cpu=cpu["app"],
            resources=readings.app_resources,
            requests=counts.requests,
            probe=readings.probe,
            app_stats=readings.app_stats,
        ),
        upstream=upstream_figures(readings.upstream_stats, cpu=cpu["fake"]),
        loadgen=LoadgenFigures(
            cpu_percent=cpu["locust"].busiest_process_percent,
            processes=cpu["locust"].processes,
            warnings=_warnings(readings, health, theory, config, point.rate_rps),
        ),
        theory=theory,
        profile_files=readings.profile_files,
        ttfb=latency_summary(counts.ttfb_ms),
        # Issued in the window, still unanswered at its end after longer than any answer took.
        unanswered=survival(counts.answered_ms, counts.censored_ms).residual_ages.size,
        steady_state=_steady_state(counts, window_s, open_loop=open_loop),
        load="rate" if open_loop else "users",
        offered_rps=point.rate_rps,
        arrival=_arrival_figures(counts, point, config) if open_loop else None,
        database=None
        if readings.database is None
        else database_figures(readings.database, every_s=SAMPLE_EVERY_S, app_stats=readings.app_stats),
    )
