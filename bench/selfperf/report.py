"""Turns the searches into the two things a reader needs: the ratio per mode, and why to trust it.

The JSON document (`perf_document`) carries machine info, versions and every step's raw figures, so a number
in the README can be traced to the run that produced it; the table (`render_table`) shows the maxima, the
ratios against the target and every validity note.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.selfperf.config import Mode, PerfConfig
from bench.selfperf.point_report import points_json
from bench.selfperf.points import PointRecord
from bench.selfperf.round_report import rounds_json
from bench.selfperf.rounds import RoundRecord
from bench.selfperf.sweep import SearchRecord

__all__ = [
    "PERF_SCHEMA",
    "PERF_SCHEMA_VERSION",
    "TARGET_RATIO",
    "Ratio",
    "perf_document",
    "ratios",
    "render_table",
]

PERF_SCHEMA = "awaitbench.perf"
PERF_SCHEMA_VERSION = 3
TARGET_RATIO = 0.8


@dataclass(frozen=True, kw_only=True)
class Ratio:
    """fake_llm against the ceiling for one mode.

    `ratio` is fake_llm's max sustained rate over the ceiling's (None when either is missing or 0).
    `cpu_cost_ratio` is the ceiling's server CPU per request over fake_llm's at `cpu_cost_at_rps`, the highest
    rate both sustained: a second, steadier view of the same question, since a maximum found by a p99
    criterion moves with every burst of background load while CPU per request barely does.
    """

    mode: Mode
    fake_llm_rps: float | None
    ceiling_rps: float | None
    ratio: float | None
    meets_target: bool | None
    note: str
    cpu_cost_ratio: float | None = None
    cpu_cost_at_rps: float | None = None


def _find(records: list[SearchRecord], server: str, mode: Mode) -> SearchRecord | None:
    return next((r for r in records if r.server == server and r.mode == mode), None)


def _sustained_costs(record: SearchRecord) -> dict[float, float]:
    """rate -> lowest server CPU µs/request among the sustained attempts at that rate."""
    costs: dict[float, float] = {}
    for step in record.step_figures:
        cost = step.get("server_cpu_us_per_request")
        if step["verdict"] == "sustained" and cost:
            rate = float(step["rate_rps"])
            costs[rate] = min(cost, costs.get(rate, cost))
    return costs


def _cpu_cost_ratio(fake: SearchRecord, ceiling: SearchRecord) -> tuple[float | None, float | None]:
    fake_costs, ceiling_costs = _sustained_costs(fake), _sustained_costs(ceiling)
    common = sorted(set(fake_costs) & set(ceiling_costs))
    if not common:
        return None, None
    rate = common[-1]
    return round(ceiling_costs[rate] / fake_costs[rate], 3), rate


def _ratio(mode: Mode, fake: SearchRecord, ceiling: SearchRecord) -> Ratio:
    fake_rps, ceiling_rps = fake.result.max_sustained_rps, ceiling.result.max_sustained_rps
    cpu_ratio, cpu_at = _cpu_cost_ratio(fake, ceiling)
    ratio: float | None = None
    notes = []
    if ceiling_rps <= 0:
        notes.append("the ceiling sustained no rate: the machine is too noisy for this error budget")
    else:
        ratio = round(fake_rps / ceiling_rps, 3)
        if ceiling.result.lower_bound:
            notes.append("ceiling is a lower bound, so the ratio is an upper bound")
        if fake.result.lower_bound:
            notes.append("fake_llm is a lower bound, so the ratio is a lower bound")
    return Ratio(
        mode=mode,
        fake_llm_rps=fake_rps,
        ceiling_rps=ceiling_rps,
        ratio=ratio,
        meets_target=None if ratio is None else ratio >= TARGET_RATIO,
        note="; ".join(notes),
        cpu_cost_ratio=cpu_ratio,
        cpu_cost_at_rps=cpu_at,
    )


def ratios(records: list[SearchRecord], modes: tuple[Mode, ...]) -> list[Ratio]:
    """One `Ratio` per mode; the note says when a bound (not a measured maximum) went into it."""
    out: list[Ratio] = []
    for mode in modes:
        fake, ceiling = _find(records, "fake_llm", mode), _find(records, "ceiling", mode)
        if fake is None or ceiling is None:
            empty = Ratio(
                mode=mode, fake_llm_rps=None, ceiling_rps=None, ratio=None, meets_target=None, note=""
            )
            out.append(empty)
        else:
            out.append(_ratio(mode, fake, ceiling))
    return out


def _step_at(record: SearchRecord, rate_rps: float) -> dict[str, Any] | None:
    """The best attempt at `rate_rps` (a sustained one when there is one)."""
    steps = [s for s in record.step_figures if s["rate_rps"] == rate_rps]
    sustained = [s for s in steps if s["verdict"] == "sustained"]
    chosen = sustained or steps
    return chosen[-1] if chosen else None


def perf_document(
    *,
    config: PerfConfig,
    records: list[SearchRecord],
    started_at: dt.datetime,
    duration_s: float,
    machine: dict[str, Any],
    packages: dict[str, str],
    git_commit: str | None,
    points: list[PointRecord] | None = None,
    rounds: list[RoundRecord] | None = None,
) -> dict[str, Any]:
    """The versioned JSON result of a run (`--json FILE`): the saturation rounds, the Little-bound point
    and the rate search."""
    return {
        "schema": PERF_SCHEMA,
        "version": PERF_SCHEMA_VERSION,
        "started_at": started_at.isoformat(timespec="seconds"),
        "duration_s": round(duration_s, 1),
        "machine": machine,
        "packages": packages,
        "git_commit": git_commit,
        "config": _config_json(config),
        "target_ratio": TARGET_RATIO,
        "ratios": [asdict(r) for r in ratios(records, config.modes)],
        "results": [
            {
                "server": r.server,
                "mode": r.mode,
                "max_sustained_rps": r.result.max_sustained_rps,
                "first_failed_rps": r.result.first_failed_rps,
                "lower_bound": r.result.lower_bound,
                "note": r.result.note,
                "duration_s": r.duration_s,
                "steps": list(r.step_figures),
            }
            for r in records
        ],
        "saturation": rounds_json(rounds or [], config),
        "little_bound": points_json(points or [], config),
    }


def _fmt(value: float | None, spec: str = ",.0f") -> str:
    return "—" if value is None else format(value, spec)


def _cpu_text(step: dict[str, Any] | None) -> str:
    if step is None or step.get("server_cpu_util") is None:
        return "—"
    per_request = step.get("server_cpu_us_per_request")
    cost = "" if per_request is None else f" ({per_request:.0f} µs/req)"
    return f"{step['server_cpu_util']:.0%}{cost}"


def render_table(console: Console, *, config: PerfConfig, records: list[SearchRecord]) -> None:
    """Print the results table and the ratio table."""
    budget = f"{config.error_budget_ms:g} ms"
    table = Table(title=f"Max sustained requests/s (p99 latency error <= {budget}, one core each)")
    for column in (
        "mode",
        "server",
        "max sustained rps",
        "first failed rps",
        "p99 error at max",
        "server CPU at max",
    ):
        table.add_column(column, justify="left" if column in ("mode", "server") else "right")
    table.add_column("notes")
    for record in records:
        result = record.result
        step = _step_at(record, result.max_sustained_rps) if result.max_sustained_rps else None
        bound = "≥ " if result.lower_bound and result.max_sustained_rps else ""
        best = bound + _fmt(result.max_sustained_rps)
        table.add_row(
            record.mode,
            record.server,
            best,
            _fmt(result.first_failed_rps),
            "—" if step is None else f"{step['error_ms']['p99']:.1f} ms",
            _cpu_text(step),
            result.note,
        )
    console.print(table)
    summary = Table(title=f"fake_llm / raw-ASGI ceiling (target ≥ {TARGET_RATIO:g}x)")
    for column in ("mode", "fake_llm rps", "ceiling rps", "ratio", "target", "CPU-cost ratio"):
        summary.add_column(column, justify="left" if column == "mode" else "right")
    summary.add_column("notes")
    for ratio in ratios(records, config.modes):
        verdict = {True: "[green]met[/]", False: "[red]NOT met[/]", None: "—"}[ratio.meets_target]
        shown = "—" if ratio.ratio is None else f"{ratio.ratio:.2f}x"
        cost = "—"
        if ratio.cpu_cost_ratio is not None and ratio.cpu_cost_at_rps is not None:
            cost = f"{ratio.cpu_cost_ratio:.2f}x at {ratio.cpu_cost_at_rps:,.0f} rps"
        summary.add_row(
            ratio.mode, _fmt(ratio.fake_llm_rps), _fmt(ratio.ceiling_rps), shown, verdict, cost, ratio.note
        )
    console.print(summary)


def _config_json(config: PerfConfig) -> dict[str, Any]:
    """The config as JSON: paths as strings, the step timing also as one object (as older documents had)."""
    data = {key: str(value) if isinstance(value, Path) else value for key, value in asdict(config).items()}
    data["timing"] = asdict(config.timing)
    return data
