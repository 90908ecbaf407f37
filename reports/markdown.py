"""`summary.md`: the table to paste into a performance review.

Plain GitHub-flavoured Markdown, one row per scenario, every number taken from `summary.summarize` so
it matches the page and the overview chart to the digit.
"""

from __future__ import annotations

from collections.abc import Sequence

from bench.results import RunResults
from bench.results.summary import PairSummary, format_number, format_ratio, point_problem

__all__ = ["SUMMARY_COLUMNS", "summary_markdown", "summary_rows"]

SUMMARY_COLUMNS = (
    "scenario",
    "pitfall",
    "fix",
    "users",
    "pitfall req/s",
    "fix req/s",
    "throughput ratio",
    "pitfall p99 ms",
    "fix p99 ms",
    "p99 ratio",
    "loop lag p99 ms (pitfall / fix)",
    "signal (pitfall vs fix)",
    "verdict",
)


def _ratio(value: float | None) -> str:
    return "-" if value is None else format_ratio(value)


def summary_rows(summaries: Sequence[PairSummary]) -> list[tuple[str, ...]]:
    """The table's cells as text, in SUMMARY_COLUMNS order (the HTML page shows the same rows)."""
    rows: list[tuple[str, ...]] = []
    for s in summaries:
        pitfall_ok = s.pitfall is not None and s.pitfall.status == "ok"
        fix_ok = s.fix is not None and s.fix.status == "ok"
        rows.append(
            (
                s.scenario.id,
                s.scenario.pitfall_variant,
                s.scenario.fix_variant,
                str(s.users),
                format_number(s.pitfall.throughput_rps if pitfall_ok and s.pitfall else None),
                format_number(s.fix.throughput_rps if fix_ok and s.fix else None),
                _ratio(s.throughput_ratio),
                format_number(s.pitfall.latency.p99_ms if s.pitfall and s.pitfall.latency else None),
                format_number(s.fix.latency.p99_ms if s.fix and s.fix.latency else None),
                _ratio(s.p99_ratio),
                f"{format_number(s.pitfall_loop_lag_p99_ms)} / {format_number(s.fix_loop_lag_p99_ms)}",
                "; ".join(s.signals) or "-",
                s.verdict,
            )
        )
    return rows


def _escape(cell: str) -> str:
    return cell.replace("|", "\\|").replace("\n", " ")


def summary_markdown(run: RunResults, summaries: Sequence[PairSummary]) -> str:
    """The whole `summary.md`: heading, run facts, the table, then every problem point by name."""
    m = run.manifest
    loops = sorted({s.loop for s in summaries}) or ["-"]
    lines = [
        f"# awaitbench summary: run {m.run_id}",
        "",
        f"Status: **{m.status}** · started {m.started_at} · awaitbench {m.awaitbench_version}"
        + (f" · commit {m.git_commit}" if m.git_commit else ""),
        f"Machine: {m.machine.get('cpu_count', '?')} CPUs, {m.machine.get('cpu_model', 'unknown CPU')}, "
        f"Python {m.machine.get('python', '?')}. Loop: {', '.join(loops)}.",
        "",
        "Throughput ratio = fix ÷ pitfall; p99 ratio = pitfall ÷ fix "
        "(both > 1: the pitfall costs that much).",
        "",
        "| " + " | ".join(SUMMARY_COLUMNS) + " |",
        "|" + "|".join("---" for _ in SUMMARY_COLUMNS) + "|",
    ]
    for row in summary_rows(summaries):
        lines.append("| " + " | ".join(_escape(cell) for cell in row) + " |")
    problems = [problem for point in run.points if (problem := point_problem(point.id, point)) is not None]
    problems += [f"{pid} not measured (planned, no result)" for pid in run.missing_points]
    if problems:
        lines += ["", "## Points to check", ""]
        lines += [f"- {problem}" for problem in problems]
    lines.append("")
    return "\n".join(lines)
