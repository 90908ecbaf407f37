"""The two closed-loop points of a perf run, the Little bound and saturation: each (mode, point, server)
measured `point_repeats` times, the servers taking turns, the best attempt counting (docs/perf.md,
"Closed-loop points", says why both points and why the best).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from bench.selfperf.config import Mode, PerfConfig, ServerKind
from bench.selfperf.step import run_step
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
    figures = run_step(kind, mode, config=config, work_dir=work_dir, connections=connections)
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
