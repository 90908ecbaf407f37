"""`awaitbench report` and `compare` on open-loop runs: the committed fixtures `run_open` (the sync_client
pair at 5 and 40 req/s, Poisson) and `run_capacity` (the same pair's capacity at p99 <= 500 ms), both
from real `awaitbench run`s (docs/reports.md has the commands). Numbers are checked against the fixtures'
JSON, read without the reports package."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from matplotlib.image import imread

from bench.results import load_run
from reports.open_loop_charts import capacity_overview_chart, open_loop_charts
from reports.theme import THEMES, ThemeName
from tests.bench.results.schema_check import validate_run_dir
from tests.reports.conftest import FIXTURES, awaitbench, read_json

RUN_OPEN = FIXTURES / "run_open"
RUN_CAPACITY = FIXTURES / "run_capacity"


def _png_size(path: Path) -> tuple[int, int]:
    pixels = imread(path)
    return pixels.shape[1], pixels.shape[0]


@pytest.mark.parametrize("run_dir", [RUN_OPEN, RUN_CAPACITY], ids=lambda p: p.name)
def test_open_loop_fixtures_are_real_complete_runs(run_dir: Path) -> None:
    assert validate_run_dir(run_dir) >= 4
    manifest = read_json(run_dir / "manifest.json")
    assert manifest["status"] == "complete" and manifest["git_commit"]
    assert all(read_json(p)["load"] == "rate" for p in (run_dir / "points").glob("*.json"))


@pytest.mark.parametrize("theme", ["paper", "talk"])
def test_open_loop_charts_at_the_themes_size(tmp_path: Path, theme: ThemeName) -> None:
    run = load_run(RUN_CAPACITY)
    (info,) = run.manifest.scenarios
    charts = open_loop_charts(run, info, theme=THEMES[theme], out_dir=tmp_path)
    overview = capacity_overview_chart(run, theme=THEMES[theme], out_dir=tmp_path)
    assert overview is not None
    stems = [chart.stem for chart in charts]
    assert stems == ["sync_client-open-latency", "sync_client-open-throughput", "sync_client-capacity"]
    for chart in (*charts, overview):
        assert _png_size(chart.png) == THEMES[theme].size_px
        assert chart.svg.stat().st_size > 0


def test_a_rate_run_has_no_capacity_chart_and_a_closed_loop_run_no_open_loop_chart(tmp_path: Path) -> None:
    run = load_run(RUN_OPEN)
    (info,) = run.manifest.scenarios
    charts = open_loop_charts(run, info, theme=THEMES["paper"], out_dir=tmp_path)
    assert [c.stem for c in charts] == ["sync_client-open-latency", "sync_client-open-throughput"]
    assert capacity_overview_chart(run, theme=THEMES["paper"], out_dir=tmp_path) is None
    closed = load_run(FIXTURES / "run_small")
    assert (
        open_loop_charts(closed, closed.manifest.scenarios[0], theme=THEMES["paper"], out_dir=tmp_path) == []
    )


def test_the_report_of_a_rate_run_has_the_open_loop_section_and_no_empty_closed_loop_one(
    tmp_path: Path,
) -> None:
    out = tmp_path / "report"
    result = awaitbench("report", str(RUN_OPEN), "--out", str(out))
    assert result.returncode == 0, result.stderr
    page = html.unescape((out / "index.html").read_text())
    assert 'id="open-loop"' in page and 'id="arrival-table"' in page
    assert 'id="overview"' not in page and 'id="summary-table"' not in page
    assert "sync_client-open-latency.png" in page
    summary = (out / "summary.md").read_text()
    assert "## Open loop" in summary and "### Capacity at the SLO" not in summary
    point = read_json(RUN_OPEN / "points" / "sync_client__sync_in_async__uvloop__r40.json")
    p99 = ("≥" if "p99_ms" in point["latency"]["lower_bounds"] else "") + f"{point['latency']['p99_ms']:.1f}"
    row = next(
        line for line in summary.splitlines() if line.startswith("| sync_client | sync_in_async | 40 |")
    )
    assert f"| {p99} |" in row and f"| {point['unanswered']} |" in row


def test_the_report_of_a_capacity_run_states_each_capacity_beside_the_theory(tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = awaitbench("report", str(RUN_CAPACITY), "--out", str(out), "--theme", "talk")
    assert result.returncode == 0, result.stderr
    summary = (out / "summary.md").read_text()
    page = html.unescape((out / "index.html").read_text())
    for found in read_json(RUN_CAPACITY / "manifest.json")["capacity"]:
        words = f"sustains {found['capacity_rps']:,.1f}" if found["capacity_rps"] < 100 else "sustains "
        row = next(
            line for line in summary.splitlines() if line.startswith(f"| sync_client | {found['variant']} |")
        )
        assert words in row
        theory = found["theory_capacity_rps"]
        assert ("no limit" if theory is None else f"{theory:.1f}") in row
        assert words in page
    assert "(pitfall vs fix)" in summary and 'id="capacity-table"' in page
    assert (out / "img" / "capacity.png").is_file()


def test_compare_matches_open_loop_points_by_their_rate(tmp_path: Path) -> None:
    result = awaitbench("compare", str(RUN_OPEN), str(RUN_OPEN), "--out", str(tmp_path / "cmp"))
    assert result.returncode == 0, result.stderr
    assert "sync_client__async_client__uvloop__r40" in result.stdout
    assert (tmp_path / "cmp" / "img" / "compare-sync_client.png").is_file()
