"""The Little-bound point of a perf run: each (mode, server) measured `little_repeats` times over
`little_connections` closed-loop connections, the servers taking turns, the best attempt counting
(docs/perf.md, "Little bound", says why the best)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.selfperf.config import Mode, PerfConfig, ServerKind
from bench.selfperf.step import run_step
from bench.selfperf.sweep import LOADGEN_CPU_LIMIT

__all__ = ["MAX_FAILED_SHARE", "PointCallback", "PointRecord", "closed_loop_notes", "run_points"]

PointCallback = Callable[[ServerKind, Mode, str, dict[str, Any]], None]

MAX_FAILED_SHARE = 0.001
"""Failed requests above this share of the completed ones make a closed-loop step untrustworthy."""


@dataclass(frozen=True, kw_only=True)
class PointRecord:
    """The best of the attempts at one (server, mode) Little-bound point, and every attempt's figures."""

    server: ServerKind
    mode: Mode
    connections: int
    best: dict[str, Any]
    attempts: tuple[dict[str, Any], ...]


def closed_loop_notes(figures: dict[str, Any]) -> list[str]:
    """Why a closed-loop step is not to be trusted: the generator was the bottleneck, or requests failed."""
    notes = []
    if figures["loadgen_cpu_util"] > LOADGEN_CPU_LIMIT:
        notes.append(f"generator CPU {figures['loadgen_cpu_util']:.0%}")
    failures = sum(figures["failed"].values())
    if failures > MAX_FAILED_SHARE * max(figures["completed"], 1):
        notes.append("errors: " + ", ".join(f"{k} x{n}" for k, n in sorted(figures["failed"].items())))
    return notes


def _best(attempts: list[dict[str, Any]]) -> dict[str, Any]:
    """The trusted attempt with the highest throughput (any attempt when none is trusted)."""
    trusted = [a for a in attempts if not a["notes"]] or attempts
    return max(trusted, key=lambda a: float(a["achieved_rps"]))


def run_points(
    config: PerfConfig, *, work_dir: Path, on_point: PointCallback | None = None
) -> list[PointRecord]:
    """Measure each (mode, server) at the Little bound `config.little_repeats` times, servers taking turns."""
    records: list[PointRecord] = []
    if config.little_repeats == 0:
        return records
    connections = config.little_connections
    for mode in config.modes:
        attempts: dict[ServerKind, list[dict[str, Any]]] = {kind: [] for kind in config.servers}
        for _ in range(config.little_repeats):
            for kind in config.servers:
                figures = run_step(kind, mode, config=config, work_dir=work_dir, connections=connections)
                figures["notes"] = closed_loop_notes(figures)
                attempts[kind].append(figures)
                if on_point is not None:
                    on_point(kind, mode, "little bound", figures)
        records += [
            PointRecord(
                server=kind, mode=mode, connections=connections, best=_best(found), attempts=tuple(found)
            )
            for kind, found in attempts.items()
        ]
    return records
