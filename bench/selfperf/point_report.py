"""The Little-bound point as a reader needs it: what each server served there, and fake_llm's p99."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.selfperf.config import Mode, PerfConfig
from bench.selfperf.points import PointRecord

__all__ = ["P99_MARGIN_MS", "PointRatio", "point_ratios", "points_json", "render_points"]

P99_MARGIN_MS = 10.0
"""fake_llm's p99 at the Little bound may exceed the configured latency by at most this."""


@dataclass(frozen=True, kw_only=True)
class PointRatio:
    """fake_llm against the ceiling at the Little bound of one mode."""

    mode: Mode
    connections: int
    fake_llm_rps: float
    ceiling_rps: float
    ratio: float | None
    fake_llm_p99_ms: float
    ceiling_p99_ms: float
    p99_target_ms: float
    fake_llm_cpu_us_per_request: float | None
    ceiling_cpu_us_per_request: float | None
    meets_target: bool
    note: str


def _p99(figures: dict[str, Any], mode: Mode) -> float:
    key = "first_token_ms" if mode == "streaming" else "latency_ms"
    return float(figures[key]["p99"])


def _ratio(fake: PointRecord, ceiling: PointRecord, config: PerfConfig) -> PointRatio:
    f, c = fake.best, ceiling.best
    ratio = round(f["achieved_rps"] / c["achieved_rps"], 3) if c["achieved_rps"] else None
    p99_target = config.ttft_ms + P99_MARGIN_MS
    notes = [f"{server}: {'; '.join(best['notes'])}" for server, best in (("fake_llm", f), ("ceiling", c))
             if best["notes"]]  # fmt: skip
    return PointRatio(
        mode=fake.mode,
        connections=fake.connections,
        fake_llm_rps=f["achieved_rps"],
        ceiling_rps=c["achieved_rps"],
        ratio=ratio,
        fake_llm_p99_ms=_p99(f, fake.mode),
        ceiling_p99_ms=_p99(c, fake.mode),
        p99_target_ms=p99_target,
        fake_llm_cpu_us_per_request=f.get("server_cpu_us_per_request"),
        ceiling_cpu_us_per_request=c.get("server_cpu_us_per_request"),
        meets_target=_p99(f, fake.mode) <= p99_target,
        note="; ".join(notes),
    )


def point_ratios(records: list[PointRecord], config: PerfConfig) -> list[PointRatio]:
    """One `PointRatio` per mode where both servers were measured."""
    found = {(r.server, r.mode): r for r in records}
    out = []
    for record in records:
        if record.server != "fake_llm":
            continue
        ceiling = found.get(("ceiling", record.mode))
        if ceiling is not None:
            out.append(_ratio(record, ceiling, config))
    return out


def points_json(records: list[PointRecord], config: PerfConfig) -> dict[str, Any]:
    """The `little_bound` part of the perf document: ratios, and every attempt's raw figures."""
    return {
        "p99_margin_ms": P99_MARGIN_MS,
        "ratios": [asdict(r) for r in point_ratios(records, config)],
        "records": [asdict(r) for r in records],
    }


def _us(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} µs"


def render_points(console: Console, *, records: list[PointRecord], config: PerfConfig) -> None:
    """Print the Little-bound table: per mode, both servers side by side, and fake_llm's p99 verdict."""
    if not records:
        return
    bound_rps = config.little_connections / config.ttft_ms * 1000
    table = Table(title=f"Little bound: {config.little_connections} closed-loop connections, at most "
                  f"{bound_rps:,.0f} req/s; best of {config.little_repeats}")  # fmt: skip
    columns = ("mode", "fake_llm rps", "ceiling rps", "ratio", "p99 fake_llm / ceiling",
               "CPU/request fake_llm / ceiling", "target")  # fmt: skip
    for column in columns:
        table.add_column(column, justify="left" if column == "mode" else "right")
    table.add_column("notes")
    for r in point_ratios(records, config):
        goal = f"p99 ≤ {r.p99_target_ms:g} ms"
        verdict = f"[green]met[/] ({goal})" if r.meets_target else f"[red]NOT met[/] ({goal})"
        table.add_row(
            r.mode,
            f"{r.fake_llm_rps:,.0f}",
            f"{r.ceiling_rps:,.0f}",
            "—" if r.ratio is None else f"{r.ratio:.2f}x",
            f"{r.fake_llm_p99_ms:.1f} / {r.ceiling_p99_ms:.1f} ms",
            f"{_us(r.fake_llm_cpu_us_per_request)} / {_us(r.ceiling_cpu_us_per_request)}",
            verdict,
            r.note,
        )
    console.print(table)
