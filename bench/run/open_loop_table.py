"""The end-of-run tables of an open-loop run, for a terminal: each variant at each offered rate, or each
variant's capacity at the SLO with the theory beside it.

Every number comes from `bench.results.open_loop` and `bench.results.summary`, the same functions the
report and `--summary-json` read.
"""

from __future__ import annotations

from rich.table import Table

from bench.results import PointRecord, RunResults
from bench.results.open_loop import capacity_text, rate_points
from bench.results.summary import capacity_pairs, format_number, reference_loop

__all__ = ["render_capacity_table", "render_rate_table"]

_RATE_COLUMNS = (
    "scenario",
    "variant",
    "offered req/s",
    "served req/s",
    "p50 ms",
    "p99 ms",
    "unanswered",
    "dropped",
    "lag p99 ms",
    "theory capacity",
    "ok",
)
_CAPACITY_COLUMNS = ("scenario", "variant", "capacity at the SLO", "theory capacity", "points", "rates tried")
_LEFT = {"scenario", "variant", "capacity at the SLO", "rates tried"}


def _state(point: PointRecord) -> str:
    if point.status != "ok":
        return "[red]failed[/red]"
    if not point.valid:
        return "[red]invalid[/red]"
    return "yes" if point.steady else "[red]unsteady[/red]"


def _p(point: PointRecord, field: str) -> str:
    if point.latency is None:
        return "-"
    bound = "≥" if point.latency.is_lower_bound(field) else ""
    return f"{bound}{getattr(point.latency, field):,.1f}"


def _theory_capacity(value: float | None) -> str:
    return "no limit" if value is None else f"{value:,.1f}"


def render_rate_table(run: RunResults) -> Table:
    """One row per (scenario, variant, offered rate) on the reference loop."""
    loop = reference_loop(run)
    table = Table(title=f"open loop: every variant at each offered rate ({loop})", title_justify="left")
    for column in _RATE_COLUMNS:
        table.add_column(column, justify="left" if column in _LEFT else "right")
    for info in run.manifest.scenarios:
        for point in rate_points(run, info.id, loop=loop):
            arrival = point.arrival
            table.add_row(
                info.id,
                point.variant,
                f"{point.offered_rps or 0:g}",
                format_number(point.throughput_rps if point.status == "ok" else None),
                _p(point, "p50_ms"),
                _p(point, "p99_ms"),
                str(point.unanswered),
                str(point.dropped),
                format_number(arrival.schedule_lag_p99_ms if arrival else None, digits=2),
                _theory_capacity(point.theory.capacity_rps if point.theory else None),
                _state(point),
            )
    return table


def render_capacity_table(run: RunResults) -> Table:
    """One row per searched variant: its capacity at the SLO in words, the theory's, the rates tried."""
    loop = reference_loop(run)
    table = Table(title=f"capacity at the SLO ({loop})", title_justify="left")
    for column in _CAPACITY_COLUMNS:
        table.add_column(column, justify="left" if column in _LEFT else "right")
    for result in run.manifest.capacity:
        if result.loop != loop:
            continue
        tried = ", ".join(f"{s.offered_rps:g}{'✓' if s.verdict == 'within' else '✗'}" for s in result.steps)
        table.add_row(
            result.scenario,
            result.variant,
            capacity_text(result),
            _theory_capacity(result.theory_capacity_rps),
            str(len(result.steps)),
            tried,
        )
    pairs = [pair.text for pair in capacity_pairs(run) if pair.pitfall and pair.fix]
    if pairs:
        table.caption = "; ".join(f"{pair.scenario.id}: {pair.text}" for pair in capacity_pairs(run))
        table.caption_justify = "left"
    return table
