"""What `awaitbench compare` prints and writes: the per-point table, and overlay charts of BASE vs NEW.

The overlays draw the base run dashed with hollow markers and the new run solid, in each variant's own
colour (the same as in `awaitbench report`), so "the fix got slower" is visible at a glance.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench.results import ScenarioInfo
from bench.results.summary import format_number
from reports.chart_files import Chart, autoscale_log, new_figure, save_figure, themed
from reports.compare import METRICS, Comparison, MetricChange, PointChange
from reports.theme import Theme, style_for, variant_styles

__all__ = ["CompareFiles", "compare_table", "write_compare"]


@dataclass(frozen=True, kw_only=True)
class CompareFiles:
    """What `write_compare` wrote."""

    markdown: Path
    charts: tuple[Chart, ...]


def _cell(change: MetricChange) -> str:
    """`base → new (+x% ±band%)`: each metric with its own band, so a wide p99 band never hides p50's."""
    values = f"{format_number(change.base)} → {format_number(change.new)}"
    if change.change_pct is None:
        return values
    if change.verdict == "not comparable":
        return f"{values} ({change.change_pct:+.1f}%, not judged)"
    return f"{values} ({change.change_pct:+.1f}% ±{change.band_pct:.0f}%)"


def _verdict(point: PointChange) -> str:
    verdicts = {c.verdict for c in point.changes}
    if "lost" in verdicts:
        return "lost (measured in base only)"
    # "worse" comes first: a throughput gain paid for with a slower tail is still worth a look.
    parts = [
        f"{verdict} ({', '.join(c.metric for c in point.changes if c.verdict == verdict)})"
        for verdict in ("worse", "better")
        if verdict in verdicts
    ]
    if parts:
        return "; ".join(parts)
    if verdicts == {"missing"}:
        return "missing"
    skipped = [c for c in point.changes if c.verdict == "not comparable"]
    if skipped:
        reasons = "; ".join(dict.fromkeys(c.reason for c in skipped))
        judged = "unchanged otherwise" if len(skipped) < len(point.changes) else "nothing judged"
        return f"not comparable ({', '.join(c.metric for c in skipped)}: {reasons}); {judged}"
    return "unchanged"


def compare_table(comparison: Comparison) -> str:
    """The per-point table as Markdown (also what the command prints)."""
    header = ["point", "runs base/new", *(m.label for m in METRICS), "verdict", "notes"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for point in comparison.points:
        cells = [
            point.point_id,
            f"{point.base_repeats}/{point.new_repeats}",
            *(_cell(c) for c in point.changes),
            _verdict(point),
            "; ".join(point.notes),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _scenario_infos(comparison: Comparison) -> dict[str, ScenarioInfo]:
    infos: dict[str, ScenarioInfo] = {}
    for run in (*comparison.new, *comparison.base):
        for info in run.manifest.scenarios:
            infos.setdefault(info.id, info)
    return infos


def _overlay(
    comparison: Comparison, scenario: str, info: ScenarioInfo | None, *, theme: Theme, out_dir: Path
) -> Chart:
    points = [p for p in comparison.points if p.scenario == scenario]
    loops = sorted({p.loop for p in points}, key=lambda loop: (loop != "uvloop", loop))
    points = [p for p in points if p.loop == loops[0]]
    # One x axis per chart: closed-loop users when the scenario has them, else the offered rate.
    kind = "users" if any(p.load == "users" for p in points) else "rate"
    points = [p for p in points if p.load == kind]
    xlabel = "concurrent users" if kind == "users" else "offered load (requests/s)"
    styles = variant_styles(info) if info else {}
    with themed(theme):
        fig, axes = new_figure(theme, ncols=2)
        for ax, index, ylabel in ((axes[0], 0, "throughput (req/s)"), (axes[1], 2, "p99 latency (ms)")):
            values: list[float] = []
            for variant in dict.fromkeys(p.variant for p in points):
                style = style_for(styles, variant)
                series = [p for p in points if p.variant == variant]
                for side, linestyle, face in (("base", "--", "white"), ("new", "-", style.color)):
                    xy = [
                        (p.load_value, v)
                        for p in series
                        if (v := getattr(p.changes[index], side)) is not None
                    ]
                    if not xy:
                        continue
                    ax.plot(
                        [x for x, _ in xy],
                        [y for _, y in xy],
                        color=style.color,
                        marker=style.marker,
                        markerfacecolor=face,
                        linestyle=linestyle,
                        label=f"{style.label} ({side})",
                    )
                    values += [y for _, y in xy]
            autoscale_log(ax, "y", values)
            autoscale_log(ax, "x", [p.load_value for p in points], spread=10.0)
            ax.set_xlabel(xlabel)
            ax.set_ylabel(ylabel)
        handles, labels = axes[0].get_legend_handles_labels()
        if handles:
            fig.legend(
                handles, labels, fontsize="small", loc="outside lower center", ncols=min(len(handles), 4)
            )
        title = info.title if info else scenario
        fig.suptitle(f"{title}: base (dashed) vs new (solid), {loops[0]}")
        return save_figure(
            fig,
            out_dir=out_dir,
            stem=f"compare-{scenario}",
            title=f"{title}: base vs new",
            caption="Base dashed with hollow markers, new solid; means over repeats.",
            theme=theme,
        )


def write_compare(
    comparison: Comparison, *, out_dir: Path, theme: Theme, base_label: str, new_label: str
) -> CompareFiles:
    """Write `compare.md` and one overlay chart per scenario into `out_dir`."""
    infos = _scenario_infos(comparison)
    scenarios = list(dict.fromkeys(p.scenario for p in comparison.points))
    charts = tuple(
        _overlay(comparison, s, infos.get(s), theme=theme, out_dir=out_dir / "img") for s in scenarios
    )
    lines: list[str] = [
        "# awaitbench compare",
        "",
        f"Base: `{base_label}` ({len(comparison.base)} run(s)) · "
        f"New: `{new_label}` ({len(comparison.new)} run(s))",
        "",
        f"A change inside the band (±{comparison.threshold_pct:g}% or the repeats' noise, "
        "whichever is wider) is 'unchanged'.",
        "",
        compare_table(comparison),
        "",
    ]
    lines += [f"![{c.title}](img/{c.png.name})" for c in charts]
    markdown = out_dir / "compare.md"
    out_dir.mkdir(parents=True, exist_ok=True)
    markdown.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return CompareFiles(markdown=markdown, charts=charts)
