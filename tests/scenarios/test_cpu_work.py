"""cpu_work: threads do not scale pure-Python CPU work (one GIL); a process pool moves it off the app."""

from __future__ import annotations

import psutil
import pytest

from scenarios.cpu_work import SCENARIO
from tests.scenarios.clients import wall_time_s
from tests.scenarios.conftest import Fleet, fleet_fixture

USERS = 6
CPU_MS = 80.0


apps = fleet_fixture(
    SCENARIO,
    shared_llm=True,
    env={"AWAITBENCH_CPU_MS": f"{CPU_MS:g}", "AWAITBENCH_CPU_POOL_PROCESSES": "2"},
)


def _app_cpu_s(apps: Fleet, variant: str) -> float:
    times = psutil.Process(apps.processes[variant].pid).cpu_times()  # the app process itself, no children
    return float(times.user + times.system)


def _run(apps: Fleet, variant: str) -> tuple[float, float]:
    wall_time_s(apps.apps[variant], 2)  # warm-up (the pool spawns its processes here)
    before = _app_cpu_s(apps, variant)
    elapsed = wall_time_s(apps.apps[variant], USERS)
    return elapsed, _app_cpu_s(apps, variant) - before


@pytest.mark.perf
def test_threads_share_one_gil_and_the_pool_does_not(apps: Fleet) -> None:
    work_s = USERS * CPU_MS / 1000.0
    for variant in ("inline", "to_thread"):
        elapsed, cpu = _run(apps, variant)
        # All the work burns in the app's interpreter, and one GIL runs it one thread at a time, so
        # wall time cannot drop below the total CPU time however many threads there are.
        assert cpu >= 0.9 * work_s, (variant, cpu)
        assert elapsed >= 0.9 * work_s, (variant, elapsed)
    _, pool_cpu = _run(apps, "process_pool")
    # The pool's processes burn the CPU; the app's own interpreter only routes requests.
    assert pool_cpu <= 0.5 * work_s, pool_cpu
