"""The closed-loop points as a reader needs them: a table of what each server did, and the two ratios."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.selfperf.config import Mode, PerfConfig
from bench.selfperf.points import PointKind, PointRecord

__all__ = ["P99_MARGIN_MS", "SATURATION_TARGET", "PointRatio", "point_ratios", "points_json", "render_points"]

SATURATION_TARGET = 0.9
P99_MARGIN_MS = 10.0
_SATURATED = 0.8  # server CPU share above which a server counts as CPU-bound


@dataclass(frozen=True, kw_only=True)
class PointRatio:
    """fake_llm against the ceiling at one closed-loop point of one mode."""

    mode: Mode
    point: PointKind
    connections: int
    fake_llm_rps: float
    ceiling_rps: float
    ratio: float | None
    fake_llm_p99_ms: float
    ceiling_p99_ms: float
    p99_target_ms: float
    fake_llm_cpu_us_per_request: float | None
    ceiling_cpu_us_per_request: float | None
    meets_target: bool | None
    note: str


def _p99(figures: dict[str, Any], mode: Mode) -> float:
    key = "first_token_ms" if mode == "streaming" else "latency_ms"
    return float(figures[key]["p99"])


def _ratio(fake: PointRecord, ceiling: PointRecord, config: PerfConfig) -> PointRatio:
    f, c = fake.best, ceiling.best
    ratio = round(f["achieved_rps"] / c["achieved_rps"], 3) if c["achieved_rps"] else None
    p99_target = config.ttft_ms + P99_MARGIN_MS
    if fake.point == "saturation":
        meets = None if ratio is None else ratio >= SATURATION_TARGET
    else:
        meets = _p99(f, fake.mode) <= p99_target
    notes = [f"{server}: {'; '.join(best['notes'])}" for server, best in (("fake_llm", f), ("ceiling", c))
             if best["notes"]]  # fmt: skip
    if fake.point == "saturation" and min(f["server_cpu_util"] or 0, c["server_cpu_util"] or 0) < _SATURATED:
        notes.append("a server was not CPU-bound: raise --saturation-connections for a saturation ratio")
    return PointRatio(
        mode=fake.mode,
        point=fake.point,
        connections=fake.connections,
        fake_llm_rps=f["achieved_rps"],
        ceiling_rps=c["achieved_rps"],
        ratio=ratio,
        fake_llm_p99_ms=_p99(f, fake.mode),
        ceiling_p99_ms=_p99(c, fake.mode),
        p99_target_ms=p99_target,
        fake_llm_cpu_us_per_request=f.get("server_cpu_us_per_request"),
        ceiling_cpu_us_per_request=c.get("server_cpu_us_per_request"),
        meets_target=meets,
        note="; ".join(notes),
    )


def point_ratios(records: list[PointRecord], config: PerfConfig) -> list[PointRatio]:
    """One `PointRatio` per (mode, point) where both servers were measured."""
    found = {(r.server, r.mode, r.point): r for r in records}
    out = []
    for record in records:
        if record.server != "fake_llm":
            continue
        ceiling = found.get(("ceiling", record.mode, record.point))
        if ceiling is not None:
            out.append(_ratio(record, ceiling, config))
    return out


def points_json(records: list[PointRecord], config: PerfConfig) -> dict[str, Any]:
    """The `points` part of the perf document: ratios, and every attempt's raw figures."""
    return {
        "saturation_target": SATURATION_TARGET,
        "p99_margin_ms": P99_MARGIN_MS,
        "ratios": [asdict(r) for r in point_ratios(records, config)],
        "records": [asdict(r) for r in records],
    }


def _us(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} µs"


def render_points(console: Console, *, records: list[PointRecord], config: PerfConfig) -> None:
    """Print the closed-loop table: per mode and point, both servers side by side, and the verdict."""
    table = Table(title=f"Closed loop: Little bound ({config.little_connections} connections) and saturation "
                  f"({config.saturation_connections}); best of {config.point_repeats}")  # fmt: skip
    columns = ("mode", "point", "fake_llm rps", "ceiling rps", "ratio", "p99 fake_llm / ceiling",
               "CPU/request fake_llm / ceiling", "target")  # fmt: skip
    for column in columns:
        table.add_column(column, justify="left" if column in ("mode", "point") else "right")
    table.add_column("notes")
    for r in point_ratios(records, config):
        if r.point == "saturation":
            goal = f"ratio ≥ {SATURATION_TARGET:g}x"
        else:
            goal = f"p99 ≤ {r.p99_target_ms:g} ms"
        verdict = {True: f"[green]met[/] ({goal})", False: f"[red]NOT met[/] ({goal})", None: "—"}
        table.add_row(
            r.mode,
            f"{r.point.replace('_', ' ')} (c={r.connections:,})",
            f"{r.fake_llm_rps:,.0f}",
            f"{r.ceiling_rps:,.0f}",
            "—" if r.ratio is None else f"{r.ratio:.2f}x",
            f"{r.fake_llm_p99_ms:.1f} / {r.ceiling_p99_ms:.1f} ms",
            f"{_us(r.fake_llm_cpu_us_per_request)} / {_us(r.ceiling_cpu_us_per_request)}",
            verdict[r.meets_target],
            r.note,
        )
    console.print(table)
