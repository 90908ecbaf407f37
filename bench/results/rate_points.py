"""Open-loop points read back: each variant at each offered rate, and its capacity at an SLO."""

from __future__ import annotations

from typing import Any

from bench.results.files import RunResults
from bench.results.ids import format_rate, parse_point_id
from bench.results.records import CapacityResult, PointRecord
from bench.results.summary import format_number, reference_loop, variant_summary

__all__ = [
    "ARRIVAL_COLUMNS",
    "CAPACITY_COLUMNS",
    "arrival_rows",
    "arrival_summary",
    "arrival_summary_dict",
    "capacity_dict",
    "capacity_results",
    "capacity_rows",
    "capacity_summary_dict",
    "capacity_text",
    "has_closed_loop",
    "has_open_loop",
    "point_state",
    "rate_points",
]


def has_closed_loop(run: RunResults) -> bool:
    """Whether the run measured (or planned) any closed-loop point."""
    planned = (parse_point_id(pid) for pid in run.manifest.planned_points)
    return any(p.load == "users" for p in run.points) or any(
        key is not None and key.load == "users" for key in planned
    )


def has_open_loop(run: RunResults) -> bool:
    """Whether the run has open-loop points or capacity results: the report's open-loop section."""
    return bool(run.manifest.capacity) or any(p.load == "rate" for p in run.points)


def rate_points(
    run: RunResults, scenario: str, variant: str | None = None, loop: str | None = None
) -> list[PointRecord]:
    """The open-loop points of a scenario (optionally one variant, one loop), by offered rate."""
    return [p for p in run.points_for(scenario, variant, loop) if p.load == "rate"]


def arrival_summary(record: PointRecord) -> dict[str, Any]:
    """One open-loop point's figures: `variant_summary` plus the offered rate, the unanswered and dropped
    requests and the generator's schedule lag p99 (what `--summary-json` writes in arrival mode)."""
    arrival = record.arrival
    figures = variant_summary(record)
    figures.update(
        {
            "load": record.load,
            "offered_rps": record.offered_rps,
            "arrival": arrival.arrival if arrival else None,
            "issued": arrival.issued if arrival else None,
            "unanswered": record.unanswered,
            "dropped": record.dropped,
            "schedule_lag_p99_ms": arrival.schedule_lag_p99_ms if arrival else None,
            "theory_capacity_rps": record.theory.capacity_rps if record.theory else None,
        }
    )
    return figures


def arrival_summary_dict(run: RunResults) -> dict[str, dict[str, dict[str, dict[str, Any]]]]:
    """`--summary-json` in arrival mode: {scenario: {variant: {"40": figures, ...}}} on the reference loop,
    rates as `format_rate` writes them, ascending; scenarios without an open-loop point are left out."""
    loop = reference_loop(run)
    out: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}
    for info in run.manifest.scenarios:
        by_variant: dict[str, dict[str, dict[str, Any]]] = {}
        for point in rate_points(run, info.id, loop=loop):
            if point.offered_rps is None:
                continue
            entry = by_variant.setdefault(point.variant, {})
            entry[format_rate(point.offered_rps)] = arrival_summary(point)
        if by_variant:
            out[info.id] = by_variant
    return out


def capacity_results(run: RunResults, scenario: str) -> list[CapacityResult]:
    """The capacity results of one scenario, in the order the search ran."""
    return [result for result in run.manifest.capacity if result.scenario == scenario]


def _rps(value: float) -> str:
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def capacity_text(result: CapacityResult) -> str:
    """A capacity in words: "sustains 9.8 req/s at p99 ≤ 500 ms", "at least 1,600 req/s ...", or never."""
    slo = f"p99 ≤ {result.slo_p99_ms:,.0f} ms"
    if result.capacity_rps is None:
        lowest = min((step.offered_rps for step in result.steps), default=None)
        at = f" (not even at {_rps(lowest)} req/s)" if lowest is not None else ""
        return f"never within {slo}{at}"
    prefix = "sustains at least" if result.lower_bound else "sustains"
    return f"{prefix} {_rps(result.capacity_rps)} req/s at {slo}"


def capacity_dict(result: CapacityResult) -> dict[str, Any]:
    """One variant's `--find-capacity` summary."""
    return {
        "capacity_rps": result.capacity_rps,
        "slo_p99_ms": result.slo_p99_ms,
        "theory_capacity_rps": result.theory_capacity_rps,
        "first_beyond_rps": result.first_beyond_rps,
        "lower_bound": result.lower_bound,
        "max_failed_share": result.max_failed_share,
        "arrival": result.arrival,
        "loop": result.loop,
        "points": len(result.steps),
        "steps": [
            {"offered_rps": s.offered_rps, "verdict": s.verdict, "reasons": list(s.reasons)}
            for s in result.steps
        ],
        "text": capacity_text(result),
        "note": result.note,
    }


def capacity_summary_dict(run: RunResults) -> dict[str, dict[str, dict[str, Any]]]:
    """`--summary-json` with `--find-capacity`: {scenario: {variant: {"capacity_rps", "slo_p99_ms",
    "theory_capacity_rps", ...}}} on the reference loop."""
    loop = reference_loop(run)
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for result in run.manifest.capacity:
        if result.loop == loop:
            out.setdefault(result.scenario, {})[result.variant] = capacity_dict(result)
    return out


# ------------------------------------------------------------------------------------ tables as text
# The same cells for the terminal (`awaitbench run`), summary.md and the HTML page.

ARRIVAL_COLUMNS = (
    "scenario",
    "variant",
    "offered req/s",
    "served req/s",
    "p50 ms",
    "p99 ms",
    "unanswered",
    "dropped",
    "schedule lag p99 ms",
    "theory capacity req/s",
    "state",
)
CAPACITY_COLUMNS = (
    "scenario",
    "variant",
    "capacity at the SLO",
    "theory capacity req/s",
    "points",
    "rates tried (✓ within, ✗ beyond, ! invalid)",
)
_STEP_MARKS = {"within": "✓", "beyond": "✗", "invalid": "!"}


def _percentile(point: PointRecord, field: str) -> str:
    if point.latency is None:
        return "-"
    bound = "≥" if point.latency.is_lower_bound(field) else ""
    return bound + format_number(getattr(point.latency, field))


def point_state(point: PointRecord) -> str:
    """ "ok", "failed", "invalid" or "unsteady" (invalid outranks unsteady)."""
    if point.status != "ok":
        return "failed"
    if not point.valid:
        return "invalid"
    return "ok" if point.steady else "unsteady"


def _theory_capacity(value: float | None) -> str:
    return "no limit" if value is None else format_number(value)


def arrival_rows(run: RunResults) -> list[tuple[str, ...]]:
    """One row per open-loop point on the reference loop, in ARRIVAL_COLUMNS order."""
    loop = reference_loop(run)
    rows: list[tuple[str, ...]] = []
    for info in run.manifest.scenarios:
        for point in rate_points(run, info.id, loop=loop):
            arrival = point.arrival
            rows.append(
                (
                    info.id,
                    point.variant,
                    f"{point.offered_rps or 0:g}",
                    format_number(point.throughput_rps if point.status == "ok" else None),
                    _percentile(point, "p50_ms"),
                    _percentile(point, "p99_ms"),
                    str(point.unanswered),
                    str(point.dropped),
                    format_number(arrival.schedule_lag_p99_ms if arrival else None, digits=2),
                    _theory_capacity(point.theory.capacity_rps if point.theory else None),
                    point_state(point),
                )
            )
    return rows


def capacity_rows(run: RunResults) -> list[tuple[str, ...]]:
    """One row per capacity search on the reference loop, in CAPACITY_COLUMNS order."""
    loop = reference_loop(run)
    return [
        (
            result.scenario,
            result.variant,
            capacity_text(result),
            _theory_capacity(result.theory_capacity_rps),
            str(len(result.steps)),
            ", ".join(f"{step.offered_rps:g}{_STEP_MARKS[step.verdict]}" for step in result.steps),
        )
        for result in run.manifest.capacity
        if result.loop == loop
    ]
