"""sync_client: the blocking SDK call in `async def` serialises the whole process."""

from __future__ import annotations

import pytest

from scenarios.sync_client import SCENARIO
from tests.scenarios.clients import get_json, reset_llm_stats, wall_time_s
from tests.scenarios.conftest import Fleet, fleet_fixture

USERS = 10


apps = fleet_fixture(SCENARIO, shared_llm=True)


def _peak_upstream_concurrency(apps: Fleet, variant: str) -> tuple[float, int]:
    wall_time_s(apps.apps[variant], USERS)  # warm-up: connections, lazy imports
    reset_llm_stats(apps.llm)
    elapsed = wall_time_s(apps.apps[variant], USERS)
    return elapsed, int(get_json(f"{apps.llm}/stats")["peak_in_flight"])


@pytest.mark.perf
def test_sync_in_async_serves_one_request_at_a_time(apps: Fleet) -> None:
    slow, slow_peak = _peak_upstream_concurrency(apps, "sync_in_async")
    fast, fast_peak = _peak_upstream_concurrency(apps, "async_client")
    # The loop is blocked during each call, so the upstream never sees two at once.
    assert slow_peak == 1
    assert fast_peak >= USERS // 2
    # 10 serial calls of 100 ms cannot take less than 1 s; theory says 10x the async time. The 3x margin
    # leaves room for a loaded 2-core box, where the async side's own CPU stretches its 0.1 s to 0.3 s.
    assert slow >= 0.9 * USERS * SCENARIO.upstream.latency_ms / 1000.0
    assert slow >= 3 * fast, (slow, fast)


def test_sync_in_def_overlaps_calls_on_threads(apps: Fleet) -> None:
    _, peak = _peak_upstream_concurrency(apps, "sync_in_def")
    assert peak >= USERS // 2
