"""The end-of-run summary: per scenario, the fix against the pitfall at the reference load.

`summary_dict` is what `--summary-json` writes (keyed by scenario id, then variant id); `render_table`
prints the same figures as ratios for a human.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.table import Table

from bench.results import PointRecord, ScenarioInfo

__all__ = ["ScenarioRatios", "render_table", "scenario_ratios", "summary_dict", "variant_summary"]

ScenarioRatios = dict[str, float | None]


def variant_summary(record: PointRecord) -> dict[str, Any]:
    """The headline figures of one point (None where not measured)."""
    latency = record.latency
    server = record.server
    upstream = record.upstream
    figures: dict[str, Any] = {
        "status": record.status,
        "users": record.users,
        "loop": record.loop,
        "throughput_rps": record.throughput_rps if record.status == "ok" else None,
        "p50_ms": latency.p50_ms if latency else None,
        "p99_ms": latency.p99_ms if latency else None,
        "loop_lag_p99_ms": server.loop_lag_p99_ms if server else None,
        "cpu_ms_per_request": server.cpu_ms_per_request if server else None,
        "upstream_connections_per_request": upstream.connections_per_request if upstream else None,
        "failures": record.failures,
        "valid": record.valid,
        "invalid_reasons": list(record.invalid_reasons),
    }
    if record.ttfb is not None:  # streamed requests only: what the user waits for before the first byte
        figures["ttfb_p50_ms"] = record.ttfb.p50_ms
        figures["ttfb_p99_ms"] = record.ttfb.p99_ms
    return figures


def summary_dict(
    points: Sequence[PointRecord], *, reference_users: int, loop: str
) -> dict[str, dict[str, dict[str, Any]]]:
    """{scenario: {variant: figures}} at `reference_users` on `loop`, in the order points were measured."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for record in points:
        if record.users == reference_users and record.loop == loop:
            out.setdefault(record.scenario, {})[record.variant] = variant_summary(record)
    return out


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return round(numerator / denominator, 3)


def scenario_ratios(variants: Mapping[str, Mapping[str, Any]], info: ScenarioInfo) -> ScenarioRatios:
    """Fix over pitfall for throughput (> 1 = the fix serves more), pitfall over fix for p99 (> 1 = the
    pitfall is slower)."""
    bad = variants.get(info.pitfall_variant, {})
    good = variants.get(info.fix_variant, {})
    return {
        "throughput_ratio": _ratio(good.get("throughput_rps"), bad.get("throughput_rps")),
        "p99_ratio": _ratio(bad.get("p99_ms"), good.get("p99_ms")),
    }


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


def render_table(
    summary: Mapping[str, Mapping[str, Mapping[str, Any]]],
    scenarios: Sequence[ScenarioInfo],
    *,
    reference_users: int,
) -> Table:
    table = Table(title=f"pitfall vs fix at {reference_users} users", title_justify="left")
    for column in _COLUMNS:
        table.add_column(column, justify="left" if column in {"scenario", "pitfall", "fix"} else "right")
    for info in scenarios:
        variants = summary.get(info.id)
        if not variants:
            continue
        bad = variants.get(info.pitfall_variant, {})
        good = variants.get(info.fix_variant, {})
        ratios = scenario_ratios(variants, info)
        valid = bool(bad.get("valid")) and bool(good.get("valid"))
        table.add_row(
            info.id,
            info.pitfall_variant,
            info.fix_variant,
            _fmt(bad.get("throughput_rps")),
            _fmt(good.get("throughput_rps")),
            _fmt(ratios["throughput_ratio"], "x"),
            _fmt(bad.get("p99_ms"), " ms"),
            _fmt(good.get("p99_ms"), " ms"),
            _fmt(ratios["p99_ratio"], "x"),
            "yes" if valid else "[red]no[/red]",
        )
    return table
