"""Turn raw readings (fake_llm /stats, probe snapshots, psutil windows, the scenario theory) into the
typed figures of a PointRecord. Pure functions: every rule about what a number means lives here."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from bench.measure.sampling import TreeSample, WindowCpu
from bench.results import ServerFigures, TheoryFigures, UpstreamFigures
from fake_llm.snapshot import StatsSnapshot
from scenarios.model import Prediction, Scenario, TheoryInput, littles_law_rps

__all__ = [
    "SATURATING_USERS",
    "merge_probe_snapshots",
    "open_loop_theory",
    "server_figures",
    "theory_capacity_rps",
    "theory_figures",
    "upstream_figures",
]

# Closed-loop users at which every bottleneck a theory knows binds: its capacity is read there.
SATURATING_USERS = 10_000


def upstream_figures(stats: StatsSnapshot, *, cpu: WindowCpu | None) -> UpstreamFigures:
    """fake_llm's /stats (reset at window start) as the upstream figures of the window."""
    requests = stats.requests_total
    opened = stats.connections_opened
    return UpstreamFigures(
        requests=requests,
        peak_concurrency=stats.peak_in_flight,
        connections_opened=opened,
        connections_per_request=round(opened / requests, 4) if requests else 0.0,
        rate_limited=stats.rate_limited_total,
        server_errors=stats.server_errors_total,
        hangs=stats.hangs_total,
        cpu_percent=None if cpu is None else cpu.cpu_percent,
    )


def merge_probe_snapshots(snapshots: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One figure per key over several app workers: the worst worker (max), which is what users feel."""

    def worst(key: str) -> Any:
        values = [s[key] for s in snapshots if isinstance(s.get(key), int | float)]
        return max(values) if values else None

    return {
        "lag_p50_ms": worst("lag_p50_ms"),
        "lag_p99_ms": worst("lag_p99_ms"),
        "lag_max_ms": worst("lag_max_ms"),
        "threadpool_busy_peak": worst("threadpool_busy_peak"),
    }


def server_figures(
    *,
    cpu: WindowCpu,
    resources: TreeSample,
    requests: int,
    probe: Mapping[str, Any],
    app_stats: Mapping[str, Any],
) -> ServerFigures:
    """The app's process tree over the window; CPU per request counts completed requests only."""
    return ServerFigures(
        cpu_seconds=cpu.cpu_seconds,
        cpu_ms_per_request=round(cpu.cpu_seconds * 1000.0 / requests, 4) if requests else 0.0,
        cpu_percent=cpu.cpu_percent,
        rss_mb=resources.rss_mb,
        open_fds=resources.open_fds,
        threads=resources.threads,
        loop_lag_p50_ms=probe.get("lag_p50_ms"),
        loop_lag_p99_ms=probe.get("lag_p99_ms"),
        loop_lag_max_ms=probe.get("lag_max_ms"),
        threadpool_busy_peak=probe.get("threadpool_busy_peak"),
        app_stats=dict(app_stats),
    )


def theory_figures(
    scenario: Scenario, variant_id: str, *, users: int, workers: int, preset: str | None
) -> TheoryFigures:
    """The scenario's prediction for this variant and load, and the Little's-law bound U / L."""
    latency_ms = scenario.upstream.latency_ms
    bound = littles_law_rps(users, latency_ms) if latency_ms > 0 else 0.0
    note = f"fake_llm preset '{preset}' overrides the upstream the theory assumes; " if preset else ""
    try:
        predictions = scenario.theory(
            TheoryInput(users=users, upstream_latency_ms=latency_ms, workers=workers)
        )
        prediction = predictions[variant_id]
    except Exception as exc:  # a theory bug must not lose the measurement
        return TheoryFigures(
            throughput_rps=0.0,
            latency_ms=0.0,
            littles_law_bound_rps=round(bound, 3),
            note=f"{note}no prediction: {type(exc).__name__}: {exc}",
        )
    return TheoryFigures(
        throughput_rps=round(prediction.throughput_rps, 3),
        latency_ms=round(prediction.latency_ms, 3),
        littles_law_bound_rps=round(bound, 3),
        note=note + prediction.note,
        capacity_rps=_finite(theory_capacity_rps(scenario, variant_id, workers=workers)),
    )


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else round(value, 3)


def _predict(scenario: Scenario, variant_id: str, *, users: int, workers: int) -> Prediction:
    given = TheoryInput(users=users, upstream_latency_ms=scenario.upstream.latency_ms, workers=workers)
    return scenario.theory(given)[variant_id]


def theory_capacity_rps(scenario: Scenario, variant_id: str, *, workers: int = 1) -> float | None:
    """The most the variant serves in theory, whatever the load (read where every bottleneck binds);
    None when its theory sets no limit (the app's CPU does) or has no prediction for it."""
    try:
        capacity = _predict(scenario, variant_id, users=SATURATING_USERS, workers=workers).capacity_rps
    except Exception:  # a theory bug must not lose the measurement
        return None
    return capacity if math.isfinite(capacity) else None


def open_loop_theory(
    scenario: Scenario,
    variant_id: str,
    *,
    rate_rps: float,
    workers: int,
    preset: str | None,
    elapsed_s: float,
) -> TheoryFigures:
    """The theory at an offered rate: below capacity everything offered is served at the unloaded latency;
    beyond it, the capacity is served and the queue grows by (rate - capacity) requests per second, so a
    request issued `elapsed_s` after the load started waits (rate / capacity - 1) * elapsed_s more (FIFO).

    Args:
        rate_rps: the offered rate.
        elapsed_s: when the average request of the window was issued, since the load started
            (warm-up + half the window).
    """
    note = f"fake_llm preset '{preset}' overrides the upstream the theory assumes; " if preset else ""
    try:
        unloaded = _predict(scenario, variant_id, users=1, workers=workers)
    except Exception as exc:  # a theory bug must not lose the measurement
        return TheoryFigures(
            throughput_rps=0.0,
            latency_ms=0.0,
            littles_law_bound_rps=round(rate_rps, 3),
            note=f"{note}no prediction: {type(exc).__name__}: {exc}",
        )
    capacity = theory_capacity_rps(scenario, variant_id, workers=workers)
    latency_ms = unloaded.latency_ms
    if capacity is not None and rate_rps > capacity:
        latency_ms += 1000.0 * (rate_rps / capacity - 1.0) * elapsed_s
        note += (
            f"offered {rate_rps:g} req/s beyond the capacity {capacity:g} req/s: the queue grows by "
            f"{rate_rps - capacity:g} requests per second; "
        )
    return TheoryFigures(
        throughput_rps=round(min(rate_rps, capacity or math.inf), 3),
        latency_ms=round(latency_ms, 3),
        littles_law_bound_rps=round(rate_rps, 3),
        note=note + unloaded.note,
        capacity_rps=_finite(capacity),
    )
