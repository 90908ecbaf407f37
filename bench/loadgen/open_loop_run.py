"""The open-loop generator's side of one `awaitbench run --rate` point: its config, command line and cores.

The counterpart of `locust_run` for arrival-rate points: the same requests directory, the same start
marker and request log format (`bench.loadgen.logs`), so the point's timeline and readers are shared.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.loadgen.open_loop_config import OpenLoopConfig
from bench.loadgen.schedule import Arrival
from bench.processes import SchedPolicy, resolve_sched, scheduled
from scenarios.model import RequestSpec

__all__ = ["STOP_GRACE_S", "CpuSplit", "cpu_split", "open_loop_argv", "point_load"]

# Seconds the generator gets after SIGTERM to log what is still in flight and flush its log.
STOP_GRACE_S = 3.0
# The schedule runs this long past warm-up + window at most: the parent stops it at the window's end,
# this only bounds a generator whose parent died (it would also get the parent-death signal).
_SAFETY_S = 30.0


@dataclass(frozen=True, kw_only=True)
class CpuSplit:
    """Which cores the generator and the app may use (None: no pinning)."""

    generator: tuple[int, ...] | None
    app: tuple[int, ...] | None


# The app is kept off the generator's core only when it still has two cores of its own: on a 2-core
# machine shared with other jobs, an app pinned to one core measured a p99 of 540-590 ms against 115-123 ms
# unpinned (sync_in_def at 40 req/s, load average ~8; docs/bench.md), and cpu_work's process pool needs
# a second core. There the generator's real-time priority keeps it on time instead.
_APP_CORES_TO_PIN = 2


def cpu_split(available: Sequence[int] | None = None) -> CpuSplit:
    """The generator on the last core when there are two or more; the app on the others when it keeps at
    least two of its own.

    Why: an open-loop generator that waits for a core sends late, and its lag would be blamed on the app.
    fake_llm is left unpinned (it is light, and the scheduler knows best). On one core nothing is pinned.
    """
    cores = sorted(available if available is not None else os.sched_getaffinity(0))
    if len(cores) < 2:
        return CpuSplit(generator=None, app=None)
    others = tuple(cores[:-1])
    return CpuSplit(generator=(cores[-1],), app=others if len(others) >= _APP_CORES_TO_PIN else None)


def point_load(
    request: RequestSpec,
    *,
    host: str,
    arrival: Arrival,
    rate_rps: float,
    seed: int,
    warmup_s: float,
    window_s: float,
    max_outstanding: int,
    requests_dir: Path,
    ready_urls: tuple[str, ...],
) -> OpenLoopConfig:
    """The generator's config for one point: the scenario's request at `rate_rps`, logged."""
    return OpenLoopConfig(
        url=host.rstrip("/") + request.path,
        method=request.method,
        json_body=dict(request.json_body) if request.json_body is not None else None,
        stream=request.stream,
        arrival=arrival,
        rate_rps=rate_rps,
        seed=seed,
        warmup_s=warmup_s,
        measure_s=window_s + _SAFETY_S,
        max_outstanding=max_outstanding,
        requests_dir=str(requests_dir),
        ready_urls=ready_urls,
    )


def open_loop_argv(config: OpenLoopConfig, *, sched: SchedPolicy = "auto") -> list[str]:
    """The generator's command line, under real-time scheduling when allowed (`bench.processes.scheduled`):
    on a shared machine other jobs would otherwise preempt it for milliseconds, and every millisecond
    it sends late is counted in the latency it reports (and in its lag, which invalidates the point)."""
    argv = [sys.executable, "-m", "bench.loadgen.open_loop_main", config.to_json()]
    return scheduled(argv, resolve_sched(sched))
