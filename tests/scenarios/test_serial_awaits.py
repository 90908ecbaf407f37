"""serial_awaits: three awaits in a row take the sum of the latencies; gather and TaskGroup the max."""

from __future__ import annotations

import statistics

import pytest

from scenarios.serial_awaits import PARTS, SCENARIO
from tests.scenarios.clients import ask_concurrently
from tests.scenarios.conftest import Fleet, fleet_fixture

USERS = 5


apps = fleet_fixture(SCENARIO, shared_llm=True)


def _median_latency_s(apps: Fleet, variant: str) -> float:
    ask_concurrently(apps.apps[variant], USERS)  # warm-up
    outcomes = ask_concurrently(apps.apps[variant], USERS)
    assert [o.status for o in outcomes] == [200] * USERS
    return statistics.median(o.elapsed_s for o in outcomes)


@pytest.mark.perf
def test_serial_takes_the_sum_and_gather_the_max(apps: Fleet) -> None:
    serial = _median_latency_s(apps, "serial")
    gather = _median_latency_s(apps, "gather")
    task_group = _median_latency_s(apps, "task_group")
    latency_s = 0.1  # the shared default_llm (fixed 100 ms), not the scenario's own 500 ms upstream
    assert serial >= 0.95 * len(PARTS) * latency_s  # three calls in a row cannot be faster
    # Theory: a ratio of 3. Margin for a loaded box, where the concurrent side's CPU stretches it.
    assert serial >= 1.8 * gather, (serial, gather)
    assert serial >= 1.8 * task_group, (serial, task_group)
