"""A variant that never becomes ready is a failed record with its log tail, and nothing is left running."""

from __future__ import annotations

from pathlib import Path

import psutil

from bench.run.config import RunConfig
from bench.run.plan import PlannedPoint
from bench.run.point import RUN_DIR_ENV, PointContext, measure_point
from tests.bench.helpers import make_scenario


def test_app_that_cannot_start_gives_a_failed_record(tmp_path: Path) -> None:
    # "demo" is not in the catalogue, so the real `awaitbench serve demo bad` exits before it is ready.
    scenario = make_scenario("demo")
    point = PlannedPoint(scenario=scenario, variant=scenario.variant("bad"), loop="uvloop", users=2)
    config = RunConfig(users=(2,), reference_users=2, duration_s=1.0, warmup_s=0.5, out_dir=tmp_path)
    record = measure_point(point, PointContext(config=config, run_dir=tmp_path))
    assert record.status == "failed" and not record.valid
    assert record.error is not None and "app exited" in record.error
    assert "demo" in record.stderr_tail  # the child's own message, for the report
    assert (tmp_path / "logs" / point.id / "app.log").exists()
    tag = str(tmp_path.resolve())
    leftovers = []
    for proc in psutil.process_iter():
        try:
            if proc.environ().get(RUN_DIR_ENV) == tag:
                leftovers.append(proc)
        except (psutil.Error, OSError):
            continue
    assert leftovers == []
