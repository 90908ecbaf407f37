"""The end-of-run table: each scenario's fix against its pitfall at the reference load, for a terminal.

Every number comes from `bench.results.summary`, the same pair comparison the report draws.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table

from bench.results import PointRecord
from bench.results.summary import PairSummary

__all__ = ["render_table"]

_COLUMNS = (
    "scenario",
    "pitfall",
    "fix",
    "rps pitfall",
    "rps fix",
    "rps fix/pitfall",
    "p99 pitfall",
    "p99 fix",
    "p99 pitfall/fix",
    "valid",
)


def _fmt(value: float | None, unit: str = "") -> str:
    return "-" if value is None else f"{value:,.1f}{unit}"


def _throughput(point: PointRecord | None) -> float | None:
    return point.throughput_rps if point is not None and point.status == "ok" else None


def _p99(point: PointRecord | None) -> float | None:
    return point.latency.p99_ms if point is not None and point.latency is not None else None


def _valid(point: PointRecord | None) -> bool:
    return point is not None and point.valid


def render_table(pairs: Sequence[PairSummary], *, reference_users: int) -> Table:
    """One row per scenario with a measured pitfall or fix; ratios > 1 mean the pitfall costs that much."""
    table = Table(title=f"pitfall vs fix at {reference_users} users", title_justify="left")
    for column in _COLUMNS:
        table.add_column(column, justify="left" if column in {"scenario", "pitfall", "fix"} else "right")
    for pair in pairs:
        if pair.pitfall is None and pair.fix is None:
            continue
        info = pair.scenario
        table.add_row(
            info.id,
            info.pitfall_variant,
            info.fix_variant,
            _fmt(_throughput(pair.pitfall)),
            _fmt(_throughput(pair.fix)),
            _fmt(pair.throughput_ratio, "x"),
            _fmt(_p99(pair.pitfall), " ms"),
            _fmt(_p99(pair.fix), " ms"),
            _fmt(pair.p99_ratio, "x"),
            "yes" if _valid(pair.pitfall) and _valid(pair.fix) else "[red]no[/red]",
        )
    return table
