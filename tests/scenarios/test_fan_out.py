"""fan_out: unbounded gather overruns a capped upstream (429s); a shared semaphore stays under the cap."""

from __future__ import annotations

from scenarios.fan_out import SCENARIO, UPSTREAM_CAP, FanOutConfig
from tests.scenarios.clients import ask_concurrently, get_json, reset_llm_stats
from tests.scenarios.conftest import Fleet, fleet_fixture
from tests.waiting import wait_until

USERS = 3  # x 10 calls each = 30 in flight against a cap of 12


apps = fleet_fixture(SCENARIO)


def _wait_upstream_idle(llm: str, timeout_s: float = 30.0) -> None:
    """Wait until no call is in flight upstream. When one of `unbounded`'s calls fails, gather raises but
    does not cancel its siblings: they go on (and retry) after the app has answered 502, so they would
    still be in flight during the next burst and count towards its peak."""
    wait_until(
        lambda: get_json(f"{llm}/stats")["in_flight"],
        timeout_s,
        "no upstream call in flight",
        ready=lambda in_flight: in_flight == 0,
    )


def _burst(apps: Fleet, variant: str) -> tuple[dict[str, int], list[int | None]]:
    _wait_upstream_idle(apps.llm)
    reset_llm_stats(apps.llm)
    outcomes = ask_concurrently(apps.apps[variant], USERS, timeout_s=60.0)
    stats = get_json(f"{apps.llm}/stats")
    return stats, [o.status for o in outcomes]


def test_unbounded_draws_429s_and_semaphore_none(apps: Fleet) -> None:
    assert USERS * FanOutConfig().calls > UPSTREAM_CAP
    unbounded, _ = _burst(apps, "unbounded")
    bounded, bounded_statuses = _burst(apps, "semaphore")
    assert unbounded["rate_limited_total"] > 0, unbounded
    assert unbounded["peak_in_flight"] >= UPSTREAM_CAP  # it filled the upstream to the brim and beyond
    assert bounded["rate_limited_total"] == 0, bounded
    assert bounded["peak_in_flight"] <= FanOutConfig().limit
    assert bounded_statuses == [200] * USERS
