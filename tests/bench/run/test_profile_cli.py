"""`awaitbench run --profile` for real: py-spy records the app and the flame graph names the blocking line.

One tiny point (5 users, 2 s window) of the sync-client pitfall: with `--idle`, the loop thread blocked in
the SDK's socket read must show up in the flame graph as the variant's own `ask` route.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bench.measure.profiling import py_spy_path
from bench.processes import awaitbench_argv
from bench.results import load_run


@pytest.mark.skipif(py_spy_path() is None, reason="py-spy is not installed")
def test_profile_writes_flame_graph_that_names_the_blocking_call(tmp_path: Path) -> None:
    out = tmp_path / "run"
    argv = awaitbench_argv(
        "run", "sync_client:sync_in_async", "--users", "5", "--duration", "2", "--warmup", "1",
        "--profile", "--out", str(out),
    )  # fmt: skip
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]

    (point,) = load_run(out).points
    assert point.status == "ok"
    svg = next(f for f in point.profile_files if f.endswith(".svg"))
    speedscope = next(f for f in point.profile_files if f.endswith(".speedscope.json"))
    assert (out / speedscope).stat().st_size > 0
    flame = (out / svg).read_text()
    assert "scenarios/sync_client.py" in flame, "the variant's route should appear in the flame graph"
