"""db_session_held: a session held across the LLM call caps the requests in progress at the pool's size."""

from __future__ import annotations

from collections import Counter

from scenarios.db_session_held import MAX_OVERFLOW, POOL_SIZE, SCENARIO
from tests.scenarios.clients import app_stats_delta, ask_concurrently, get_json, reset_llm_stats
from tests.scenarios.conftest import Fleet, fleet_fixture

POOL = POOL_SIZE + MAX_OVERFLOW
# Three pools' worth at once: the first P are served after S = L + q (~0.53 s), the next P after 2S
# (1.07 s) which is past the 1 s pool timeout for the last ones; the fix serves all of them at once.
USERS = 3 * POOL


apps = fleet_fixture(SCENARIO)


def _burst(apps: Fleet, variant: str) -> tuple[Counter[int | None], int, dict[str, int]]:
    """USERS requests at once: their statuses, the upstream's peak concurrency, and the pool's peaks (since
    the app started) with the timeouts of this burst."""
    url = apps.apps[variant]
    ask_concurrently(url, 2)  # warm-up: the first connections, lazy imports
    before = get_json(f"{url}/app-stats")
    reset_llm_stats(apps.llm)
    statuses = Counter(outcome.status for outcome in ask_concurrently(url, USERS))
    pool = {
        **get_json(f"{url}/app-stats"),
        "db_pool_timeouts": app_stats_delta(url, before)["db_pool_timeouts"],
    }
    return statuses, int(get_json(f"{apps.llm}/stats")["peak_in_flight"]), pool


def test_held_sessions_let_no_more_than_the_pool_reach_the_llm_and_the_rest_time_out(apps: Fleet) -> None:
    statuses, upstream_peak, pool = _burst(apps, "session_held")
    assert upstream_peak <= POOL  # only a request holding a connection gets as far as the LLM
    assert pool["db_pool_checked_out_peak"] == POOL and pool["db_pool_waiting_peak"] >= POOL
    assert statuses[500] >= 1 and pool["db_pool_timeouts"] == statuses[500], statuses  # QueuePool timeouts


def test_short_sessions_serve_every_user_at_once(apps: Fleet) -> None:
    statuses, upstream_peak, pool = _burst(apps, "short_sessions")
    assert statuses == Counter({200: USERS})
    assert upstream_peak > POOL and pool["db_pool_timeouts"] == 0
