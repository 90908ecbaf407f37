"""The end-of-run table: each scenario's fix against its pitfall at its reference load, for a terminal.

Every number comes from `bench.results.summary`, the same pair comparison the report draws: the headline
(the scenario's own metric, in words), then req/s and p99 of each (a p99 resting on requests that never
answered is shown as "≥"), and whether both points are valid and at steady state.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table

from bench.results import PointRecord
from bench.results.summary import PairSummary, format_bounded_ratio

__all__ = ["render_table"]

_COLUMNS = (
    "scenario",
    "pitfall → fix",
    "users",
    "headline",
    "req/s",
    "ratio",
    "p99 ms",
    "ratio ",
    "unanswered",
    "ok",
)
_LEFT = {"scenario", "pitfall → fix", "headline"}


def _fmt(value: float | None, unit: str = "") -> str:
    return "-" if value is None else f"{value:,.1f}{unit}"


def _throughput(point: PointRecord | None) -> str:
    return _fmt(point.throughput_rps if point is not None and point.status == "ok" else None)


def _p99(point: PointRecord | None) -> str:
    if point is None or point.latency is None:
        return "-"
    bound = "≥" if point.latency.is_lower_bound("p99_ms") else ""
    return f"{bound}{point.latency.p99_ms:,.1f}"


def _unanswered(point: PointRecord | None) -> str:
    return "-" if point is None or point.status != "ok" else str(point.unanswered)


def _state(pair: PairSummary) -> str:
    """ "yes", or what is wrong in red: a point missing, failed, invalid or not at steady state."""
    points = (pair.pitfall, pair.fix)
    if any(p is None or p.status != "ok" or not p.valid for p in points):
        return "[red]invalid[/red]"
    if any(p is not None and not p.steady for p in points):
        return "[red]unsteady[/red]"
    return "yes"


def render_table(pairs: Sequence[PairSummary]) -> Table:
    """One row per scenario with a measured pitfall or fix; ratios (req/s fix ÷ pitfall, p99 pitfall ÷ fix)
    > 1 mean the pitfall costs that much."""
    table = Table(title="pitfall vs fix at each scenario's reference load", title_justify="left")
    for column in _COLUMNS:
        table.add_column(column, justify="left" if column in _LEFT else "right")
    for pair in pairs:
        if pair.pitfall is None and pair.fix is None:
            continue
        info = pair.scenario
        ratio = "-" if pair.p99_ratio is None else format_bounded_ratio(pair.p99_ratio, pair.p99_bound)
        table.add_row(
            info.id,
            f"{info.pitfall_variant} → {info.fix_variant}",
            str(pair.users),
            pair.headline.text if pair.headline is not None else "-",
            f"{_throughput(pair.pitfall)} / {_throughput(pair.fix)}",
            _fmt(pair.throughput_ratio, "x"),
            f"{_p99(pair.pitfall)} / {_p99(pair.fix)}",
            ratio,
            f"{_unanswered(pair.pitfall)} / {_unanswered(pair.fix)}",
            _state(pair),
        )
    return table
