"""Turning raw readings into `awaitbench.detect.diagnose.evidence`: the fake LLM's stats, the agent's
snapshot, the
driver's result and the CPU clocks of one phase become one `PhaseFigures`."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict

from awaitbench.detect.diagnose.agent import AgentSnapshot
from awaitbench.detect.diagnose.evidence import (
    BlockSite,
    LoopFigures,
    NeverAwaitedSite,
    PhaseFigures,
    PhaseName,
    UpstreamFigures,
)
from awaitbench.detect.watchdog.report import Block, BlockState
from bench.diagnose.children import CpuReading
from bench.loadgen.closed_loop import LoadResult
from fake_llm.snapshot import StatsSnapshot

__all__ = ["loop_figures", "percentile", "phase_figures", "upstream_figures"]


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = min(max(math.ceil(fraction * len(ordered)) - 1, 0), len(ordered) - 1)
    return ordered[rank]


def upstream_figures(stats: StatsSnapshot) -> UpstreamFigures:
    return UpstreamFigures(
        calls=stats.requests_total,
        new_connections=stats.connections_opened,
        peak_in_flight=stats.peak_in_flight,
        rate_limited=stats.rate_limited_total,
        hangs=stats.hangs_total,
    )


def _site(blocks: list[Block]) -> BlockSite:
    example = max(blocks, key=lambda b: b.duration_ms)
    states: defaultdict[BlockState, float] = defaultdict(float)
    for block in blocks:
        states[block.state] += block.duration_ms
    on_cpu = [b.on_cpu_fraction for b in blocks if b.on_cpu_fraction is not None]
    routes = sorted({b.route for b in blocks if b.route})
    return BlockSite(
        location=example.location,
        state=max(states.items(), key=lambda item: item[1])[0],
        count=len(blocks),
        total_ms=round(sum(b.duration_ms for b in blocks), 3),
        max_ms=example.duration_ms,
        on_cpu_fraction=round(statistics.median(on_cpu), 3) if on_cpu else None,
        stack=example.stack,
        routes=tuple(routes),
    )


def loop_figures(snapshot: AgentSnapshot) -> LoopFigures:
    """The agent's phase, with blocks grouped by location (most blocked time first)."""
    by_location: defaultdict[tuple[str, int, str], list[Block]] = defaultdict(list)
    for block in snapshot.blocks:
        loc = block.location
        by_location[(loc.file, loc.line, loc.function)].append(block)
    sites = sorted((_site(blocks) for blocks in by_location.values()), key=lambda s: -s.total_ms)
    awaited: dict[tuple[str, str], list[NeverAwaitedSite]] = {}
    for item in snapshot.never_awaited:
        origin = item.origin
        key = (item.coroutine, origin.where if origin is not None else item.defined_at.where)
        awaited.setdefault(key, []).append(
            NeverAwaitedSite(coroutine=item.coroutine, defined_at=item.defined_at, origin=origin, count=1)
        )
    never = tuple(
        NeverAwaitedSite(
            coroutine=items[0].coroutine,
            defined_at=items[0].defined_at,
            origin=items[0].origin,
            count=len(items),
        )
        for items in awaited.values()
    )
    pool = snapshot.threadpool
    return LoopFigures(
        threshold_ms=snapshot.threshold_ms,
        blocked_ms=round(sum(b.duration_ms for b in snapshot.blocks), 3),
        blocks=len(snapshot.blocks) + snapshot.blocks_dropped,
        sites=tuple(sites),
        threadpool_peak=pool.peak_borrowed,
        threadpool_total=pool.total_tokens,
        threadpool_waiting_peak=pool.peak_waiting,
        threadpool_saturated_ms=pool.saturated_ms,
        threadpool_borrowed_ms=pool.borrowed_ms,
        threadpool_waiting_ms=pool.waiting_ms,
        never_awaited=never,
        unclosed=len(snapshot.resource_warnings),
        unclosed_example=snapshot.resource_warnings[0].message if snapshot.resource_warnings else "",
    )


def _per_request_ms(before: float | None, after: float | None, requests: int) -> float | None:
    if before is None or after is None or requests <= 0:
        return None
    return round((after - before) * 1000.0 / requests, 3)


def phase_figures(
    *,
    name: PhaseName,
    users: int,
    result: LoadResult,
    stats: StatsSnapshot,
    snapshot: AgentSnapshot,
    cpu_before: CpuReading,
    cpu_after: CpuReading,
    upstream_latency_ms: float | None = None,
) -> PhaseFigures:
    started = result.started
    return PhaseFigures(
        name=name,
        users=users,
        started=started,
        requests=result.counted,
        errors=sum(result.errors.values()),
        statuses=dict(result.statuses),
        window_s=result.window_s,
        wall_s=result.wall_s,
        throughput_rps=round(result.throughput_rps, 3),
        latency_p50_ms=percentile(list(result.latencies_ms), 0.50),
        latency_p99_ms=percentile(list(result.latencies_ms), 0.99),
        upstream=upstream_figures(stats),
        loop=loop_figures(snapshot),
        app_cpu_ms_per_request=_per_request_ms(cpu_before.process_s, cpu_after.process_s, started),
        loop_cpu_ms_per_request=_per_request_ms(cpu_before.loop_thread_s, cpu_after.loop_thread_s, started),
        driver_cpu_share=round(result.cpu_share, 3),
        upstream_latency_ms=upstream_latency_ms,
        outbound=snapshot.outbound,
        db_pool=snapshot.db_pool if snapshot.db_pool.checkouts else None,
    )
