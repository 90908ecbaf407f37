"""sync_db_driver: a blocking driver in `async def` runs one query at a time for the whole process."""

from __future__ import annotations

from scenarios._database import QUERY_MS
from scenarios.sync_db_driver import SCENARIO
from tests.scenarios.clients import get_json, reset_llm_stats, wall_time_s
from tests.scenarios.conftest import Fleet, fleet_fixture

USERS = 10


apps = fleet_fixture(SCENARIO, shared_llm=True)


def _measure(apps: Fleet, variant: str) -> tuple[float, int, int]:
    """Wall time of USERS concurrent requests, the upstream's peak concurrency and the pool's peak."""
    wall_time_s(apps.apps[variant], USERS)  # warm-up: the pool's connections, lazy imports
    reset_llm_stats(apps.llm)
    elapsed = wall_time_s(apps.apps[variant], USERS)
    pool_peak = int(get_json(f"{apps.apps[variant]}/app-stats")["db_pool_checked_out_peak"])
    return elapsed, int(get_json(f"{apps.llm}/stats")["peak_in_flight"]), pool_peak


def test_the_sync_driver_holds_one_connection_at_a_time_and_serialises_the_queries(apps: Fleet) -> None:
    slow, _, slow_pool = _measure(apps, "sync_driver")
    _, fast_upstream, fast_pool = _measure(apps, "async_driver")
    # The loop waits for each query: the pool never lends two connections at once.
    assert slow_pool == 1
    assert fast_pool >= USERS // 2 and fast_upstream >= USERS // 2
    # USERS queries of q in a row cannot take less than USERS·q. (How much faster the awaited ones are is
    # the bench's to measure: on a loaded two-core box the CPU, not the queries, sets their time.)
    assert slow >= 0.9 * USERS * QUERY_MS / 1000.0, slow


def test_sqlalchemy_async_overlaps_its_queries(apps: Fleet) -> None:
    _, upstream_peak, pool_peak = _measure(apps, "sqlalchemy_async")
    assert pool_peak >= USERS // 2 and upstream_peak >= USERS // 2
