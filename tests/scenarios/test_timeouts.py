"""timeouts: without a deadline a hung upstream call holds its user; with one it becomes a fast 504."""

from __future__ import annotations

from scenarios.timeouts import SCENARIO
from tests.scenarios.clients import ask_concurrently
from tests.scenarios.conftest import Fleet, fleet_fixture

EVERY_K = 4  # the fake LLM hangs on every 4th request: deterministic, unlike a hang rate
USERS = 8  # any 8 consecutive requests contain exactly 2 that hang
DEADLINE_MS = 500.0
CLIENT_TIMEOUT_S = 3.0


apps = fleet_fixture(
    SCENARIO,
    fake_llm_settings={"ttft_ms": 100.0, "itl_ms": 0.0, "fault_kind": "hang", "fault_every_k": EVERY_K},
    env={"AWAITBENCH_DEADLINE_MS": f"{DEADLINE_MS:g}"},
)


def test_hung_calls_hold_users_without_a_deadline(apps: Fleet) -> None:
    stuck = ask_concurrently(apps.apps["no_timeout"], USERS, timeout_s=CLIENT_TIMEOUT_S)
    bounded = ask_concurrently(apps.apps["with_timeout"], USERS, timeout_s=CLIENT_TIMEOUT_S)
    stuck_statuses = [o.status for o in stuck]
    assert stuck_statuses.count(None) == USERS // EVERY_K, stuck_statuses  # still waiting after 3 s
    bounded_statuses = sorted(o.status or 0 for o in bounded)
    assert bounded_statuses == [200] * (USERS - USERS // EVERY_K) + [504] * (USERS // EVERY_K)
    # The 504s come at the deadline, far before the client's own timeout.
    assert max(o.elapsed_s for o in bounded) < CLIENT_TIMEOUT_S - 0.5
