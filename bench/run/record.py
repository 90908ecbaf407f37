"""From what a point's window read off its children to the `PointRecord` that is stored: pure arithmetic.

Why a module of its own: every rule that turns readings into figures (goodput, validity, warnings, theory
fidelity) is testable here without starting a process.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from bench.measure.censoring import survival
from bench.measure.figures import server_figures, theory_figures, upstream_figures
from bench.measure.requests import WindowCounts, latency_summary
from bench.measure.sampling import TreeSample, WindowCpu
from bench.measure.steady import steady_state
from bench.measure.validity import PointHealth, invalid_reasons, warnings_for
from bench.results import LoadgenFigures, PointRecord, SteadyState, TheoryFigures
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
        cpu: CPU of each child's process tree over the window: "app", "locust", "fake".
        app_resources: the app's RSS, fds and threads at the window's end.
        machine_cpu_percent: every core over the window (None when not measured).
        upstream_stats: fake_llm's /stats, reset at the window's start.
        probe: the app's in-process probe (loop lag, threadpool), merged over its workers.
        app_stats: the variant's own counters from /app-stats.
        loadgen_cpu_warning: Locust reported its own CPU above 90 % during the window.
        profile_files: py-spy outputs, relative to the results directory.
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


def _warnings(
    readings: WindowReadings, health: PointHealth, theory: TheoryFigures, config: RunConfig
) -> tuple[str, ...]:
    warnings = warnings_for(health)
    if readings.profile_files:
        warnings += ("profiled with py-spy during the window (adds sampling CPU)",)
    if theory.latency_ms > (config.warmup_s + config.duration_s) * 1000.0:
        warnings += (
            f"theory predicts R = {theory.latency_ms:.0f} ms, longer than warm-up + window: the queue "
            "was still filling, so latencies are lower than at steady state (throughput is not affected)",
        )
    return warnings


def _health(readings: WindowReadings, config: RunConfig) -> PointHealth:
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
    )


def _steady_state(counts: WindowCounts, window_s: float) -> SteadyState | None:
    if window_s <= 0:
        return None
    return steady_state(
        ok_per_half=counts.ok_per_half,
        in_flight_age_ms=counts.in_flight_age_ms,
        in_flight_whole_window=counts.in_flight_whole_window,
        window_s=window_s,
    )


def record_from(readings: WindowReadings, *, point: PlannedPoint, config: RunConfig) -> PointRecord:
    """The stored record of a measured point: figures, validity, warnings and the theory beside them."""
    counts, cpu = readings.counts, readings.cpu
    health = _health(readings, config)
    theory = theory_figures(
        point.scenario, point.variant.id, users=point.users, workers=config.app_workers, preset=config.preset
    )
    window_s = readings.window_s
    # Goodput: successful answers per second (a 429 is not a served user).
    throughput_rps = (counts.requests - counts.failures) / window_s if window_s > 0 else 0.0
    latency = latency_summary(counts.answered_ms, counts.censored_ms)
    if latency is not None and latency.mean_ms > 0:
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
            warnings=_warnings(readings, health, theory, config),
        ),
        theory=theory,
        profile_files=readings.profile_files,
        ttfb=latency_summary(counts.ttfb_ms),
        # Issued in the window, still unanswered at its end after longer than any answer took.
        unanswered=survival(counts.answered_ms, counts.censored_ms).residual_ages.size,
        steady_state=_steady_state(counts, window_s),
    )
