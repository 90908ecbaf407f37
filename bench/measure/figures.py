"""Turn raw readings (fake_llm /stats, probe snapshots, psutil windows, the scenario theory) into the
typed figures of a PointRecord. Pure functions: every rule about what a number means lives here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bench.measure.sampling import TreeSample, WindowCpu
from bench.results import ServerFigures, TheoryFigures, UpstreamFigures
from fake_llm.snapshot import StatsSnapshot
from scenarios.model import Scenario, TheoryInput, littles_law_rps

__all__ = ["merge_probe_snapshots", "server_figures", "theory_figures", "upstream_figures"]


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
    )
