"""`summary.md`: the table to paste into a performance review.

Plain GitHub-flavoured Markdown, one row per scenario, every number taken from `summary.summarize` so
it matches the page and the overview chart to the digit. Each row leads with the scenario's headline
metric at its reference load; a p99 that rests on requests that never answered is written "≥".
"""

from __future__ import annotations

from collections.abc import Sequence

from bench.results import PointRecord, RunResults
from bench.results.rate_points import (
    ARRIVAL_COLUMNS,
    CAPACITY_COLUMNS,
    arrival_rows,
    capacity_rows,
    has_open_loop,
)
from bench.results.summary import (
    PairSummary,
    capacity_pairs,
    format_bounded_ratio,
    format_number,
    format_ratio,
    point_problem,
)

__all__ = ["SUMMARY_COLUMNS", "summary_markdown", "summary_rows"]

SUMMARY_COLUMNS = (
    "scenario",
    "pitfall",
    "fix",
    "users",
    "headline (pitfall vs fix)",
    "pitfall req/s",
    "fix req/s",
    "throughput ratio",
    "pitfall p99 ms",
    "fix p99 ms",
    "p99 ratio",
    "unanswered (pitfall / fix)",
    "loop lag p99 ms (pitfall / fix)",
    "signal (pitfall vs fix)",
    "verdict",
)


def _ratio(value: float | None) -> str:
    return "-" if value is None else format_ratio(value)


def _throughput(point: PointRecord | None) -> str:
    return format_number(point.throughput_rps if point is not None and point.status == "ok" else None)


def _p99(point: PointRecord | None) -> str:
    """ "2950.0", or "≥2950.0" when the p99 rests on requests still unanswered at the window's end."""
    if point is None or point.latency is None:
        return "-"
    return ("≥" if point.latency.is_lower_bound("p99_ms") else "") + format_number(point.latency.p99_ms)


def _unanswered(point: PointRecord | None) -> str:
    return "-" if point is None or point.status != "ok" else str(point.unanswered)


def _headline(s: PairSummary) -> str:
    """ "first byte p50: 490 vs 108 ms", the values the verdict's words rest on."""
    headline = s.headline
    if headline is None or headline.pitfall is None or headline.fix is None:
        return "-"
    info = headline.info

    def value(number: float, bound: bool) -> str:
        text = f"{number * 100:.1f}%" if info.unit == "%" else f"{number:,.{info.digits}f}"
        return ("≥" if bound else "") + text

    unit = f" {info.unit}" if info.unit and info.unit != "%" else ""
    pitfall = value(headline.pitfall, headline.pitfall_is_lower_bound)
    return f"{info.name}: {pitfall} vs {value(headline.fix, headline.fix_is_lower_bound)}{unit}"


def summary_rows(summaries: Sequence[PairSummary]) -> list[tuple[str, ...]]:
    """The table's cells as text, in SUMMARY_COLUMNS order (the HTML page shows the same rows)."""
    rows: list[tuple[str, ...]] = []
    for s in summaries:
        rows.append(
            (
                s.scenario.id,
                s.scenario.pitfall_variant,
                s.scenario.fix_variant,
                str(s.users),
                _headline(s),
                _throughput(s.pitfall),
                _throughput(s.fix),
                _ratio(s.throughput_ratio),
                _p99(s.pitfall),
                _p99(s.fix),
                "-" if s.p99_ratio is None else format_bounded_ratio(s.p99_ratio, s.p99_bound),
                f"{_unanswered(s.pitfall)} / {_unanswered(s.fix)}",
                f"{format_number(s.pitfall_loop_lag_p99_ms)} / {format_number(s.fix_loop_lag_p99_ms)}",
                "; ".join(s.signals) or "-",
                s.verdict,
            )
        )
    return rows


def _escape(cell: str) -> str:
    return cell.replace("|", "\\|").replace("\n", " ")


def _table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    return lines + ["| " + " | ".join(_escape(cell) for cell in row) + " |" for row in rows]


def _open_loop_section(run: RunResults) -> list[str]:
    """Capacity at the SLO (when searched) and every variant at each offered rate."""
    lines = [
        "",
        "## Open loop",
        "",
        "Requests arrive on a schedule whatever the server does; latency counts from each request's "
        "intended send time. Unanswered and dropped requests count (≥: a lower bound); dropped requests "
        "(the generator's bound on requests in flight) count as failures.",
    ]
    if run.manifest.capacity:
        lines += ["", "### Capacity at the SLO", ""]
        lines += [f"- {pair.scenario.id}: {pair.text}" for pair in capacity_pairs(run)]
        lines += ["", *_table(CAPACITY_COLUMNS, capacity_rows(run))]
    rows = arrival_rows(run)
    if rows:
        lines += ["", "### Every variant at each offered rate", "", *_table(ARRIVAL_COLUMNS, rows)]
    return lines


def summary_markdown(run: RunResults, summaries: Sequence[PairSummary]) -> str:
    """The whole `summary.md`: heading, run facts, the closed-loop table (when the run has closed-loop
    points), the open-loop section (when it has open-loop points), then every problem point by name."""
    m = run.manifest
    loops = sorted({s.loop for s in summaries}) or sorted({p.loop for p in run.points}) or ["-"]
    lines = [
        f"# awaitbench summary: run {m.run_id}",
        "",
        f"Status: **{m.status}** · started {m.started_at} · awaitbench {m.awaitbench_version}"
        + (f" · commit {m.git_commit}" if m.git_commit else ""),
        f"Machine: {m.machine.get('cpu_count', '?')} CPUs, {m.machine.get('cpu_model', 'unknown CPU')}, "
        f"Python {m.machine.get('python', '?')}. Loop: {', '.join(loops)}.",
    ]
    if summaries:
        lines += [
            "",
            "Each scenario is compared at its reference load on its own headline metric (the verdict's "
            "words). Throughput ratio = fix ÷ pitfall; p99 ratio = pitfall ÷ fix (both > 1: the pitfall "
            "costs that much); ≥ marks a p99 that rests on requests still unanswered at the window's end "
            "(counted in 'unanswered'), a lower bound.",
            "",
            *_table(SUMMARY_COLUMNS, summary_rows(summaries)),
        ]
    if has_open_loop(run):
        lines += _open_loop_section(run)
    problems = [problem for point in run.points if (problem := point_problem(point.id, point)) is not None]
    problems += [f"{pid} not measured (planned, no result)" for pid in run.missing_points]
    if problems:
        lines += ["", "## Points to check", ""]
        lines += [f"- {problem}" for problem in problems]
    lines.append("")
    return "\n".join(lines)
