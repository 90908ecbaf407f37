"""`index.html`: one page a reviewer can open from disk, send around, or put behind any static server.

Why images are files next to the page (relative links) rather than data URIs: the same PNG/SVG files
go into slides and documents, and a page of twenty base64 charts is slow to open and impossible to diff.
The CSS is inlined, the page loads nothing from the network.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import jinja2

from bench.results import PointRecord, RunResults, ScenarioInfo
from bench.results.rate_points import (
    ARRIVAL_COLUMNS,
    CAPACITY_COLUMNS,
    arrival_rows,
    capacity_rows,
    has_open_loop,
)
from bench.results.summary import PairSummary, capacity_pairs, format_number
from reports.chart_files import Chart
from reports.markdown import SUMMARY_COLUMNS, summary_rows

__all__ = ["POINT_COLUMNS", "CodeLine", "render_page"]

POINT_COLUMNS = (
    "variant",
    "loop",
    "load",
    "status",
    "req/s",
    "theory req/s",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "unanswered",
    "loop lag p99 ms",
    "CPU ms/req",
    "upstream peak",
    "conns/req",
    "429s",
    "notes",
)


@dataclass(frozen=True)
class CodeLine:
    """One source line of the side-by-side view; `changed` marks the lines that ARE the pitfall (or fix)."""

    text: str
    changed: bool


def _side_by_side(left: str, right: str) -> tuple[list[CodeLine], list[CodeLine]]:
    a, b = left.splitlines(), right.splitlines()
    same_a: set[int] = set()
    same_b: set[int] = set()
    for block in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_matching_blocks():
        same_a.update(range(block.a, block.a + block.size))
        same_b.update(range(block.b, block.b + block.size))
    return (
        [CodeLine(line, i not in same_a) for i, line in enumerate(a)],
        [CodeLine(line, i not in same_b) for i, line in enumerate(b)],
    )


def _status_and_notes(point: PointRecord) -> tuple[str, str]:
    """("failed" | "invalid" | "unsteady" | "ok", why): invalid outranks unsteady, both are listed."""
    if point.status != "ok":
        return point.status, point.error or ""
    unsteady = () if point.steady or point.steady_state is None else point.steady_state.reasons
    notes = "; ".join((*point.invalid_reasons, *unsteady))
    if not point.valid:
        return "invalid", notes
    return ("unsteady" if unsteady else "ok"), notes


def _percentile(point: PointRecord, field: str) -> str:
    """A latency figure, "≥" in front when it rests on requests still unanswered at the window's end."""
    if point.latency is None:
        return "-"
    bound = "≥" if point.latency.is_lower_bound(field) else ""
    return bound + format_number(getattr(point.latency, field))


def _point_row(point: PointRecord) -> tuple[str, ...]:
    srv, up = point.server, point.upstream
    status, notes = _status_and_notes(point)
    load = f"{point.users} users" if point.load == "users" else f"{point.offered_rps or 0:g} req/s"
    return (
        point.variant,
        point.loop,
        load,
        status,
        format_number(point.throughput_rps if point.status == "ok" else None),
        format_number(point.theory.throughput_rps if point.theory else None),
        _percentile(point, "p50_ms"),
        _percentile(point, "p95_ms"),
        _percentile(point, "p99_ms"),
        str(point.unanswered) if point.status == "ok" else "-",
        format_number(srv.loop_lag_p99_ms if srv else None),
        format_number(srv.cpu_ms_per_request if srv else None, digits=2),
        str(up.peak_concurrency) if up else "-",
        format_number(up.connections_per_request if up else None, digits=2),
        str(up.rate_limited) if up else "-",
        notes,
    )


def _chart_view(chart: Chart, page_dir: Path) -> Mapping[str, object]:
    return {
        "title": chart.title,
        "caption": chart.caption,
        "png": Path(os.path.relpath(chart.png, page_dir)).as_posix(),
        "svg": Path(os.path.relpath(chart.svg, page_dir)).as_posix(),
        "width": chart.width_px,
        "height": chart.height_px,
    }


def _scenario_view(
    run: RunResults, info: ScenarioInfo, charts: Sequence[Chart], summary: PairSummary | None, page_dir: Path
) -> Mapping[str, object]:
    variants = {v.id: v for v in info.variants}
    pitfall, fix = variants.get(info.pitfall_variant), variants.get(info.fix_variant)
    left, right = _side_by_side(pitfall.code if pitfall else "", fix.code if fix else "")
    missing = [pid for pid in run.missing_points if pid.startswith(info.id + "__")]
    problems = [p for p in run.points_for(info.id) if p.status != "ok" or not p.valid or not p.steady]
    return {
        "info": info,
        "pitfall": pitfall,
        "fix": fix,
        "code_left": left,
        "code_right": right,
        "charts": [_chart_view(c, page_dir) for c in charts],
        "rows": [_point_row(p) for p in run.points_for(info.id)],
        "missing": missing,
        "problem_points": [p.id for p in problems],
        "profiles": _profiles(run, info, page_dir),
        "theory_notes": _theory_notes(run, info),
        "summary": summary,
    }


def _theory_notes(run: RunResults, info: ScenarioInfo) -> list[tuple[str, str]]:
    """(variant title, the theory's one-line reasoning) per variant, as the bench stored it."""
    titles = {v.id: v.title or v.id for v in info.variants}
    notes: dict[str, str] = {}
    for point in run.points_for(info.id):
        if point.theory is not None and point.theory.note:
            notes.setdefault(point.variant, point.theory.note)
    order = {variant_id: index for index, variant_id in enumerate(titles)}
    ranked = sorted(notes.items(), key=lambda item: order.get(item[0], len(order)))
    return [(titles.get(variant, variant), note) for variant, note in ranked]


def _profiles(run: RunResults, info: ScenarioInfo, page_dir: Path) -> list[tuple[str, str, str]]:
    """(point id, file name, link) of the py-spy profiles that exist on disk: a link must never break."""
    found = []
    for point in run.points_for(info.id):
        for name in point.profile_files:
            path = run.path / name
            if path.is_file():
                link = Path(os.path.relpath(path.resolve(), page_dir.resolve())).as_posix()
                found.append((point.id, Path(name).name, link))
    return found


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("reports", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_page(
    run: RunResults,
    *,
    summaries: Sequence[PairSummary],
    overview: Sequence[Chart],
    scenario_charts: Mapping[str, Sequence[Chart]],
    theme_name: str,
    page_path: Path,
    open_loop_overview: Sequence[Chart] = (),
) -> Path:
    """Write the page to `page_path` (chart paths become relative to its directory) and return it.

    The closed-loop overview (`summaries`, `overview`) is left out when there is none (an open-loop
    run); the open-loop section (capacity chart, capacity and arrival tables) appears when the run has
    open-loop points.
    """
    page_dir = page_path.parent
    by_scenario = {s.scenario.id: s for s in summaries}
    manifest = run.manifest
    html = (
        _environment()
        .get_template("index.html.j2")
        .render(
            manifest=manifest,
            theme_name=theme_name,
            overview=[_chart_view(c, page_dir) for c in overview],
            summary_columns=SUMMARY_COLUMNS,
            summary_rows=summary_rows(summaries),
            closed_loop=bool(summaries),
            open_loop=has_open_loop(run),
            open_overview=[_chart_view(c, page_dir) for c in open_loop_overview],
            arrival_columns=ARRIVAL_COLUMNS,
            arrival_rows=arrival_rows(run),
            capacity_columns=CAPACITY_COLUMNS,
            capacity_rows=capacity_rows(run),
            capacity_pairs=[f"{pair.scenario.id}: {pair.text}" for pair in capacity_pairs(run)],
            point_columns=POINT_COLUMNS,
            scenarios=[
                _scenario_view(
                    run, info, scenario_charts.get(info.id, ()), by_scenario.get(info.id), page_dir
                )
                for info in manifest.scenarios
            ],
            missing_points=run.missing_points,
            manifest_json=json.dumps(
                {k: v for k, v in asdict(manifest).items() if k != "scenarios"}, indent=2, default=str
            ),
        )
    )
    page_path.parent.mkdir(parents=True, exist_ok=True)
    page_path.write_text(html, encoding="utf-8")
    return page_path
