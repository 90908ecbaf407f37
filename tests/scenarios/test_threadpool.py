"""threadpool: `def` routes stop at 40 concurrent calls; a raised limiter or an async route does not."""

from __future__ import annotations

from scenarios.threadpool import DEFAULT_TOKENS, SCENARIO
from tests.scenarios.clients import get_json, reset_llm_stats, wall_time_s
from tests.scenarios.conftest import Fleet, fleet_fixture

USERS = 60
# Long calls, so all 60 requests are in flight together even if starting 60 threads takes a while.
LATENCY_MS = 1000


apps = fleet_fixture(SCENARIO, fake_llm_settings={"ttft_ms": LATENCY_MS, "itl_ms": 0.0})


def _peak(apps: Fleet, variant: str) -> tuple[int, float]:
    reset_llm_stats(apps.llm)
    elapsed = wall_time_s(apps.apps[variant], USERS)
    return int(get_json(f"{apps.llm}/stats")["peak_in_flight"]), elapsed


def test_default_limiter_caps_concurrency_at_40(apps: Fleet) -> None:
    capped, capped_s = _peak(apps, "default_limiter")
    raised, _ = _peak(apps, "raised_limiter")
    free, _ = _peak(apps, "async_route")
    assert capped == DEFAULT_TOKENS  # exactly the limiter: 20 requests waited for a token
    assert capped_s >= 1.9 * LATENCY_MS / 1000.0  # two waves of calls
    assert raised >= DEFAULT_TOKENS + 10, raised  # theory: all 60 at once
    assert free >= DEFAULT_TOKENS + 10, free
