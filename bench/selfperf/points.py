"""The two fixed-concurrency points of a perf run: the Little bound and saturation (closed loop).

Why beside the rate search: the search's maximum says how fast a server stays on time; these two points say
what a closed-loop client (wrk, an app with N workers) sees. At the Little bound (400 connections with
50 ms configured: 8,000 req/s at most) both servers should serve at the bound, and fake_llm's p99 shows
what it adds to the configured latency; at saturation (1,500 connections) both are CPU-bound and the
ratio of their throughputs is the ratio of their costs per request, which is what the hot-path target is
about. Each (mode, point, server) is measured `point_repeats` times, the servers taking turns, and the
best attempt counts (noise on a shared machine only ever lowers throughput).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, get_args

from bench.errors import ProcessFailed
from bench.processes import ManagedProcess, ProcessSpec, free_port, running
from bench.selfperf.config import Mode, PerfConfig, ServerKind
from bench.selfperf.servers import CHAT_PATH, resolve_sched, scheduled, server_spec
from bench.selfperf.sweep import LOADGEN_CPU_LIMIT

__all__ = ["POINTS", "PointCallback", "PointKind", "PointRecord", "run_points"]

PointKind = Literal["little_bound", "saturation"]
POINTS: tuple[PointKind, ...] = get_args(PointKind)
PointCallback = Callable[[ServerKind, Mode, PointKind, dict[str, Any]], None]

_MAX_FAILED_SHARE = 0.001


@dataclass(frozen=True, kw_only=True)
class PointRecord:
    """The best of the attempts at one (server, mode, point), and every attempt's figures."""

    server: ServerKind
    mode: Mode
    point: PointKind
    connections: int
    best: dict[str, Any]
    attempts: tuple[dict[str, Any], ...]


def _connections(config: PerfConfig, point: PointKind) -> int:
    return config.little_connections if point == "little_bound" else config.saturation_connections


def _notes(figures: dict[str, Any]) -> list[str]:
    """Why an attempt is not to be trusted: the generator was the bottleneck, or requests failed."""
    notes = []
    if figures["loadgen_cpu_util"] > LOADGEN_CPU_LIMIT:
        notes.append(f"generator CPU {figures['loadgen_cpu_util']:.0%}")
    failures = sum(figures["failed"].values())
    if failures > _MAX_FAILED_SHARE * max(figures["completed"], 1):
        notes.append("errors: " + ", ".join(f"{k} x{n}" for k, n in sorted(figures["failed"].items())))
    return notes


def _run_point(
    kind: ServerKind, mode: Mode, connections: int, *, config: PerfConfig, work_dir: Path
) -> dict[str, Any]:
    port = free_port()
    stem = f"{kind}-{mode}-c{connections}-{time.monotonic_ns()}"
    spec = server_spec(kind, config=config, mode=mode, port=port, log_path=work_dir / f"{stem}-server.log")
    with running(spec) as server:
        url = f"http://127.0.0.1:{port}{CHAT_PATH}"
        load = replace(
            config.load_config(url=url, mode=mode, rate_rps=0.0, server_pid=server.pid),
            connections=connections,
        )
        out_path = work_dir / f"{stem}-closed.json"
        argv = [sys.executable, "-m", "bench.selfperf.closed_loop", load.to_json(), str(out_path)]
        gen_spec = ProcessSpec(
            name="perf-closed-loop",
            argv=scheduled(argv, resolve_sched(config.sched)),
            log_path=work_dir / f"{stem}-gen.log",
            cpu_affinity=[config.loadgen_cpu],
        )
        deadline_s = load.warmup_s + load.measure_s + 30.0
        with ManagedProcess(gen_spec) as gen:
            try:
                code = gen.wait(timeout_s=deadline_s)
            except subprocess.TimeoutExpired as exc:
                raise ProcessFailed(
                    f"the closed-loop generator did not finish within {deadline_s:g}s"
                ) from exc
        if code != 0 or not out_path.exists():
            raise ProcessFailed(f"the closed-loop generator exited with code {code}: {gen.log_tail(3)}")
    figures = dict(json.loads(out_path.read_text()))
    util, achieved = figures.get("server_cpu_util"), figures["achieved_rps"]
    figures["server_cpu_us_per_request"] = round(util / achieved * 1e6, 1) if util and achieved else None
    figures["notes"] = _notes(figures)
    return figures


def _best(attempts: list[dict[str, Any]]) -> dict[str, Any]:
    """The trusted attempt with the highest throughput (any attempt when none is trusted)."""
    trusted = [a for a in attempts if not a["notes"]] or attempts
    return max(trusted, key=lambda a: float(a["achieved_rps"]))


def run_points(
    config: PerfConfig, *, work_dir: Path, on_point: PointCallback | None = None
) -> list[PointRecord]:
    """Measure every (mode, point, server) `config.point_repeats` times, servers taking turns."""
    records: list[PointRecord] = []
    if config.point_repeats == 0:
        return records
    for mode in config.modes:
        for point in POINTS:
            connections = _connections(config, point)
            attempts: dict[ServerKind, list[dict[str, Any]]] = {kind: [] for kind in config.servers}
            for _ in range(config.point_repeats):
                for kind in config.servers:
                    figures = _run_point(kind, mode, connections, config=config, work_dir=work_dir)
                    attempts[kind].append(figures)
                    if on_point is not None:
                        on_point(kind, mode, point, figures)
            records += [
                PointRecord(
                    server=kind,
                    mode=mode,
                    point=point,
                    connections=connections,
                    best=_best(found),
                    attempts=tuple(found),
                )
                for kind, found in attempts.items()
            ]
    return records
