"""`awaitbench report` on the committed fixture run: every chart, the page and summary.md, as users get them.

The fixture was produced by a real `awaitbench run` (docs/reports.md has the command); the numbers
checked here are read straight from its JSON, not through the reports package.
"""

from __future__ import annotations

import html
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from matplotlib.image import imread

from bench.results import load_run
from bench.results.summary import summarize
from reports.markdown import SUMMARY_COLUMNS
from reports.overview_charts import headline_label, loops_chart, overview_chart
from reports.scenario_charts import scenario_charts
from reports.theme import THEMES
from tests.bench.results.schema_check import validate_run_dir
from tests.reports.conftest import RUN_LOOPS, RUN_SMALL, RUN_SMALL_AGAIN, awaitbench, read_json, write_json

_PER_SCENARIO = ("throughput", "latency", "cdf", "loop-lag", "cpu")


def _png_size(path: Path) -> tuple[int, int]:
    pixels = imread(path)
    return pixels.shape[1], pixels.shape[0]


def _reference_pairs() -> list[tuple[dict[str, Any], dict[str, Any] | None, dict[str, Any] | None]]:
    """(scenario, pitfall point, fix point) at the reference load, straight from the fixture's JSON."""
    manifest = read_json(RUN_SMALL / "manifest.json")
    users = manifest["reference_users"]
    pairs = []
    for scenario in manifest["scenarios"]:
        points = {}
        for role in ("pitfall_variant", "fix_variant"):
            path = RUN_SMALL / "points" / f"{scenario['id']}__{scenario[role]}__uvloop__u{users}.json"
            points[role] = read_json(path) if path.exists() else None
        pairs.append((scenario, points["pitfall_variant"], points["fix_variant"]))
    return pairs


@pytest.mark.parametrize("run_dir", [RUN_SMALL, RUN_SMALL_AGAIN, RUN_LOOPS], ids=lambda p: p.name)
def test_fixtures_match_the_current_results_schema(run_dir: Path) -> None:
    # When this fails the schema moved on: regenerate the fixtures (docs/reports.md has the commands).
    assert validate_run_dir(run_dir) >= 4


def test_fixture_is_a_complete_real_run() -> None:
    manifest = read_json(RUN_SMALL / "manifest.json")
    assert manifest["status"] == "complete"
    assert manifest["git_commit"], "the fixture must come from a real `awaitbench run` (git commit recorded)"
    ok = [p for p in (RUN_SMALL / "points").glob("*.json") if read_json(p)["status"] == "ok"]
    assert len(ok) >= 4


def test_report_cli_prints_where_index_html_is(
    rendered_report: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    out, result = rendered_report
    assert result.returncode == 0, result.stderr
    assert f"report: {(out / 'index.html').resolve()}" in result.stdout
    assert (out / "summary.md").stat().st_size > 0


def test_page_explains_each_scenario_with_its_metadata(
    rendered_report: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    out, _ = rendered_report
    page = html.unescape((out / "index.html").read_text())
    manifest = read_json(RUN_SMALL / "manifest.json")
    for scenario in manifest["scenarios"]:
        assert scenario["pitfall"] in page and scenario["fix"] in page
        for variant in scenario["variants"]:
            if variant["role"] in ("pitfall", "fix") and variant["code"]:
                first_line = variant["code"].strip().splitlines()[0]
                assert first_line in page, f"{variant['id']} code missing from the side-by-side view"
    assert manifest["run_id"] in page and manifest["machine"]["cpu_model"] in page


def test_every_chart_is_rendered_at_the_declared_size(
    rendered_report: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    out, _ = rendered_report
    width, height = THEMES["paper"].size_px
    stems = ["overview"] + [
        f"{scenario['id']}-{name}" for scenario, _, _ in _reference_pairs() for name in _PER_SCENARIO
    ]
    # A scenario whose headline is not throughput gets its own headline chart (serial_awaits: p50).
    stems += [
        f"{scenario['id']}-headline"
        for scenario, _, _ in _reference_pairs()
        if scenario["headline"]["metric"] != "throughput_rps"
    ]
    assert any(stem.endswith("-headline") for stem in stems)
    for stem in stems:
        png, svg = out / "img" / f"{stem}.png", out / "img" / f"{stem}.svg"
        assert _png_size(png) == (width, height), stem
        assert imread(png).std() > 0.01, f"{stem}.png is blank"
        assert ET.parse(svg).getroot().tag.endswith("svg"), stem


def test_summary_md_numbers_equal_the_fixture(
    rendered_report: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    out, _ = rendered_report
    rows = {
        cells[0]: cells
        for line in (out / "summary.md").read_text().splitlines()
        if line.startswith("| ") and not line.startswith("| scenario")
        for cells in [[c.strip() for c in line.strip("|").split("|")]]
    }
    column = {name: index for index, name in enumerate(SUMMARY_COLUMNS)}

    def p99(point: dict[str, Any]) -> str:
        bound = "≥" if "p99_ms" in point["latency"].get("lower_bounds", []) else ""
        return f"{bound}{point['latency']['p99_ms']:.1f}"

    for scenario, pitfall, fix in _reference_pairs():
        assert pitfall is not None and fix is not None, "the fixture must hold the reference pair"
        cells = rows[scenario["id"]]
        row = {name: cells[index] for name, index in column.items()}
        assert [row["pitfall"], row["fix"]] == [scenario["pitfall_variant"], scenario["fix_variant"]]
        assert row["users"] == str(scenario["headline"]["users"])
        assert row["headline (pitfall vs fix)"].startswith(scenario["headline"]["name"] + ": ")
        assert row["pitfall req/s"] == f"{pitfall['throughput_rps']:.1f}"
        assert row["fix req/s"] == f"{fix['throughput_rps']:.1f}"
        assert row["pitfall p99 ms"] == p99(pitfall)
        assert row["fix p99 ms"] == p99(fix)
        ratio = fix["throughput_rps"] / pitfall["throughput_rps"]
        assert float(row["throughput ratio"][1:]) == pytest.approx(ratio, rel=0.05, abs=0.06)
        p99_ratio = pitfall["latency"]["p99_ms"] / fix["latency"]["p99_ms"]
        assert float(row["p99 ratio"].lstrip("≥≤")[1:].rstrip("?")) == pytest.approx(
            p99_ratio, rel=0.05, abs=0.06
        )
        assert row["unanswered (pitfall / fix)"] == f"{pitfall['unanswered']} / {fix['unanswered']}"
        lag = f"{pitfall['server']['loop_lag_p99_ms']:.1f} / {fix['server']['loop_lag_p99_ms']:.1f}"
        assert row["loop lag p99 ms (pitfall / fix)"] == lag


def test_the_overview_says_each_pitfalls_cost_in_its_own_terms() -> None:
    """Every pair gets words on its headline metric at its reference load, never a bare ratio, and a
    cost only when the pitfall is worse on that metric."""
    summaries = summarize(load_run(RUN_SMALL))
    assert summaries
    for summary in summaries:
        label = headline_label(summary)
        assert summary.headline is not None and label.endswith(f"· {summary.users} users")
        if summary.headline.outcome == "pitfall worse":
            assert label.startswith(summary.headline.text)
        else:
            assert summary.headline.info.name in label or "not measured" in label


def test_talk_theme_is_1920x1080(tmp_path: Path) -> None:
    # One scenario and the overview are enough here: the paper test above renders every chart.
    run = load_run(RUN_SMALL)
    theme = THEMES["talk"]
    charts = [
        overview_chart(summarize(run), theme=theme, out_dir=tmp_path),
        *scenario_charts(run, run.manifest.scenarios[0], theme=theme, out_dir=tmp_path),
    ]
    for chart in charts:
        assert _png_size(chart.png) == (1920, 1080), chart.stem
        assert chart.svg.stat().st_size > 0


def test_loops_chart_only_when_both_loops_were_run(tmp_path: Path) -> None:
    assert loops_chart(load_run(RUN_SMALL), theme=THEMES["paper"], out_dir=tmp_path) is None
    manifest = read_json(RUN_LOOPS / "manifest.json")
    assert manifest["config"]["loop"] == "both"
    chart = loops_chart(load_run(RUN_LOOPS), theme=THEMES["paper"], out_dir=tmp_path)
    assert chart is not None
    assert _png_size(chart.png) == THEMES["paper"].size_px
    assert imread(chart.png).std() > 0.01


def test_partial_run_names_the_missing_and_failed_points_and_links_profiles(
    copy_run: Callable[..., Path], tmp_path: Path
) -> None:
    run_dir = copy_run(RUN_SMALL, name="partial")
    manifest = read_json(run_dir / "manifest.json")
    manifest["status"] = "interrupted"
    write_json(run_dir / "manifest.json", manifest)
    point_files = sorted((run_dir / "points").glob("*.json"))
    missing = point_files[0]
    missing.unlink()
    failed = point_files[-1]
    record = read_json(failed)
    record.update(
        status="failed", valid=False, error="app exited with code 1 before it was ready", latency=None
    )
    write_json(failed, record)
    profiled = point_files[1]
    (run_dir / "profiles").mkdir()
    (run_dir / "profiles" / f"{profiled.stem}.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    record = read_json(profiled)
    record["profile_files"] = [f"profiles/{profiled.stem}.svg", "profiles/never-written.svg"]
    write_json(profiled, record)

    out = tmp_path / "out"
    result = awaitbench("report", str(run_dir), "--out", str(out))
    assert result.returncode == 0, result.stderr
    page = (out / "index.html").read_text()
    summary = (out / "summary.md").read_text()
    assert "Partial run" in page
    for text in (page, summary):
        assert missing.stem in text
        assert failed.stem in text
    assert "app exited with code 1 before it was ready" in summary
    # The flame graph that exists is linked (relative to the page); the one that does not is left out.
    assert f'href="../partial/profiles/{profiled.stem}.svg"' in page
    assert "never-written.svg" not in page


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("report", "/nonexistent/results"), "is not a directory"),
        (("report", "tests/reports"), "manifest.json not found"),
        (("report", str(RUN_SMALL), "--theme", "poster"), "invalid choice"),
    ],
)
def test_bad_arguments_are_one_line_usage_errors(args: tuple[str, ...], message: str) -> None:
    result = awaitbench(*args)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert message in result.stderr


def test_unknown_schema_version_is_a_usage_error(copy_run: Callable[..., Path]) -> None:
    run_dir = copy_run(RUN_SMALL)
    manifest = read_json(run_dir / "manifest.json")
    manifest["schema_version"] = 99
    write_json(run_dir / "manifest.json", manifest)
    result = awaitbench("report", str(run_dir))
    assert result.returncode == 2
    assert "schema_version 99 is not supported" in result.stderr


def test_unwritable_out_is_a_one_line_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = awaitbench("report", str(RUN_SMALL), "--out", str(blocker / "report"))
    assert result.returncode == 2  # a usage error, like `run --out`: checked before anything is drawn
    assert result.stderr.count("\n") == 1
    assert "--out" in result.stderr and "not writable" in result.stderr
