"""The end-of-run tables of an open-loop run, for a terminal: each variant at each offered rate, or each
variant's capacity at the SLO with the theory beside it.

The cells come from `bench.results.rate_points` (the same rows summary.md and the report show) and the
pair comparison from `bench.results.summary.capacity_pairs`.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table

from bench.results import RunResults
from bench.results.rate_points import ARRIVAL_COLUMNS, CAPACITY_COLUMNS, arrival_rows, capacity_rows
from bench.results.summary import capacity_pairs, reference_loop

__all__ = ["render_capacity_table", "render_rate_table"]

_LEFT = {"scenario", "variant", "capacity at the SLO", CAPACITY_COLUMNS[-1]}
_PROBLEMS = {"failed", "invalid", "unsteady"}


def _table(title: str, columns: Sequence[str], rows: Sequence[tuple[str, ...]]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, justify="left" if column in _LEFT else "right")
    for row in rows:
        table.add_row(*(f"[red]{cell}[/red]" if cell in _PROBLEMS else cell for cell in row))
    return table


def render_rate_table(run: RunResults) -> Table:
    """One row per (scenario, variant, offered rate) on the reference loop."""
    title = f"open loop: every variant at each offered rate ({reference_loop(run)})"
    return _table(title, ARRIVAL_COLUMNS, arrival_rows(run))


def render_capacity_table(run: RunResults) -> Table:
    """One row per searched variant: its capacity at the SLO in words, the theory's, the rates tried; the
    pitfall vs fix of each scenario below."""
    table = _table(f"capacity at the SLO ({reference_loop(run)})", CAPACITY_COLUMNS, capacity_rows(run))
    pairs = [f"{pair.scenario.id}: {pair.text}" for pair in capacity_pairs(run) if pair.pitfall and pair.fix]
    if pairs:
        table.caption = "\n".join(pairs)
        table.caption_justify = "left"
    return table
