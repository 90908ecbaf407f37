"""`render_report`: a results directory in, `index.html` + `summary.md` + the images out.

Reads only files; never starts a process or re-runs load, so a report can be re-rendered (another
theme, a newer renderer) from any old results directory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench.results import RunResults
from bench.results.rate_points import has_closed_loop, has_open_loop
from bench.results.summary import summarize
from reports.chart_files import Chart
from reports.markdown import summary_markdown
from reports.open_loop_charts import capacity_overview_chart, open_loop_charts
from reports.overview_charts import loops_chart, overview_chart
from reports.page import render_page
from reports.scenario_charts import scenario_charts
from reports.theme import Theme

__all__ = ["IMAGE_DIR", "ReportFiles", "render_report"]

IMAGE_DIR = "img"


@dataclass(frozen=True, kw_only=True)
class ReportFiles:
    """What `render_report` wrote."""

    index_html: Path
    summary_md: Path
    charts: tuple[Chart, ...]


def render_report(run: RunResults, *, theme: Theme, out_dir: Path) -> ReportFiles:
    """Render every chart, the page and the summary of `run` into `out_dir` (created if needed).

    Args:
        run: a results directory as read by `bench.results.load_run` (partial runs are fine).
        theme: "paper" or "talk" geometry and typography.
        out_dir: where index.html, summary.md and img/ go.
    """
    image_dir = out_dir / IMAGE_DIR
    # A run is closed loop (users), open loop (offered rates, capacity), or, read back from two runs'
    # worth of points, both: each kind gets its own figures, and neither's are drawn empty.
    closed = has_closed_loop(run) or not has_open_loop(run)
    summaries = summarize(run) if closed else ()
    overview: list[Chart] = []
    if closed:
        overview.append(overview_chart(summaries, theme=theme, out_dir=image_dir))
        loops = loops_chart(run, theme=theme, out_dir=image_dir)
        if loops is not None:
            overview.append(loops)
    capacity = capacity_overview_chart(run, theme=theme, out_dir=image_dir)
    open_overview = [capacity] if capacity is not None else []
    per_scenario = {
        info.id: [
            *(scenario_charts(run, info, theme=theme, out_dir=image_dir) if closed else []),
            *open_loop_charts(run, info, theme=theme, out_dir=image_dir),
        ]
        for info in run.manifest.scenarios
    }
    index_html = render_page(
        run,
        summaries=summaries,
        overview=overview,
        open_loop_overview=open_overview,
        scenario_charts=per_scenario,
        theme_name=theme.name,
        page_path=out_dir / "index.html",
    )
    summary_md = out_dir / "summary.md"
    summary_md.write_text(summary_markdown(run, summaries), encoding="utf-8")
    charts = (
        tuple(overview) + tuple(open_overview) + tuple(c for charts in per_scenario.values() for c in charts)
    )
    return ReportFiles(index_html=index_html, summary_md=summary_md, charts=charts)
