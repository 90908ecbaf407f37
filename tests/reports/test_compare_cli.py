"""`awaitbench compare` as CI uses it: the table, the overlay charts, and the exit code on a regression."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from matplotlib.image import imread

from reports.theme import THEMES
from tests.reports.conftest import (
    RUN_SMALL,
    RUN_SMALL_AGAIN,
    awaitbench,
    awaitbench_process,
    read_json,
    write_json,
)


def _point_ids(run_dir: Path) -> set[str]:
    return {p.stem for p in (run_dir / "points").glob("*.json")}


def test_two_real_runs_compare_point_by_point(tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    result = awaitbench_process("compare", str(RUN_SMALL), str(RUN_SMALL_AGAIN), "--out", str(out))
    assert result.returncode == 0, result.stderr
    for pid in _point_ids(RUN_SMALL) | _point_ids(RUN_SMALL_AGAIN):
        assert f"| {pid} |" in result.stdout
    assert (out / "compare.md").read_text().count("| ") > 3
    charts = sorted((out / "img").glob("compare-*.png"))
    assert charts
    width, height = THEMES["paper"].size_px
    for chart in charts:
        pixels = imread(chart)
        assert pixels.shape[:2] == (height, width)
        assert (chart.with_suffix(".svg")).stat().st_size > 0


def test_a_run_against_itself_is_unchanged_and_passes_the_gate() -> None:
    result = awaitbench("compare", str(RUN_SMALL), str(RUN_SMALL), "--fail-on-regression", "0")
    assert result.returncode == 0, result.stderr
    assert "| worse" not in result.stdout and "| better" not in result.stdout


def test_fail_on_regression_exits_non_zero_only_past_the_limit(copy_run: Callable[..., Path]) -> None:
    # A deliberate perturbation of the real run: one point's throughput halved.
    slower = copy_run(RUN_SMALL, name="slower")
    manifest = read_json(slower / "manifest.json")
    fix = manifest["scenarios"][0]
    target = (
        slower / "points" / f"{fix['id']}__{fix['fix_variant']}__uvloop__u{manifest['reference_users']}.json"
    )
    record = read_json(target)
    record["throughput_rps"] = record["throughput_rps"] / 2
    write_json(target, record)

    failing = awaitbench("compare", str(RUN_SMALL), str(slower), "--fail-on-regression", "20")
    assert failing.returncode == 1
    assert f"regression: {target.stem} throughput_rps worse by 50.0%" in failing.stderr

    passing = awaitbench("compare", str(RUN_SMALL), str(slower), "--fail-on-regression", "60")
    assert passing.returncode == 0, passing.stderr
    assert "worse (throughput_rps)" in passing.stdout


def test_bad_compare_arguments_are_usage_errors(tmp_path: Path) -> None:
    negative = awaitbench("compare", str(RUN_SMALL), str(RUN_SMALL), "--threshold", "-5")
    assert negative.returncode == 2
    assert "--threshold -5" in negative.stderr
    empty = awaitbench("compare", str(RUN_SMALL), str(tmp_path))
    assert empty.returncode == 2
    assert empty.stderr.count("\n") == 1


def test_a_directory_of_runs_is_read_as_repeats(tmp_path: Path) -> None:
    repeats = tmp_path / "base"
    repeats.mkdir()
    (repeats / "first").symlink_to(RUN_SMALL.resolve())
    (repeats / "second").symlink_to(RUN_SMALL_AGAIN.resolve())
    result = awaitbench("compare", str(repeats), str(RUN_SMALL))
    assert result.returncode == 0, result.stderr
    shared = _point_ids(RUN_SMALL) & _point_ids(RUN_SMALL_AGAIN)
    rows = [line for line in result.stdout.splitlines() if any(f"| {pid} |" in line for pid in shared)]
    assert rows and all("| 2/1 |" in row for row in rows)


def test_a_point_that_failed_in_new_fails_the_gate(copy_run: Callable[..., Path]) -> None:
    broken = copy_run(RUN_SMALL, name="broken")
    target = sorted((broken / "points").glob("*.json"))[0]
    record = read_json(target)
    record.update(status="failed", valid=False, latency=None, throughput_rps=0.0, error="app died")
    write_json(target, record)
    result = awaitbench("compare", str(RUN_SMALL), str(broken), "--fail-on-regression", "60")
    assert result.returncode == 1
    assert f"regression: {target.stem} throughput_rps lost" in result.stderr
    assert "lost (measured in base only)" in result.stdout
