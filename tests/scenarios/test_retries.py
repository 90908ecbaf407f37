"""retries: immediate retries multiply the load a shedding upstream receives; backoff does not."""

from __future__ import annotations

from types import SimpleNamespace

from scenarios.retries import MAX_RETRY_AFTER_S, SCENARIO, UPSTREAM_CAP, backoff_delay_s
from tests.scenarios.clients import ask_concurrently, get_json, reset_llm_stats
from tests.scenarios.conftest import Fleet, fleet_fixture

USERS = 2 * UPSTREAM_CAP  # half of the first wave is shed with 429
# Long upstream calls keep the first wave in service while the rejected calls come back: the storm
# exhausts its attempts within those 500 ms, backoff waits out the server's Retry-After (1 s).
LATENCY_MS = 500


apps = fleet_fixture(
    SCENARIO,
    fake_llm_settings={
        "ttft_ms": LATENCY_MS,
        "itl_ms": 0.0,
        "max_concurrency": UPSTREAM_CAP,
        "queue_limit": 0,
    },
)


def _amplification(apps: Fleet, variant: str) -> tuple[float, list[int | None], dict[str, int]]:
    reset_llm_stats(apps.llm)
    before = get_json(f"{apps.apps[variant]}/app-stats")
    outcomes = ask_concurrently(apps.apps[variant], USERS, timeout_s=30.0)
    upstream = get_json(f"{apps.llm}/stats")
    after = get_json(f"{apps.apps[variant]}/app-stats")
    delta = {key: after.get(key, 0) - before.get(key, 0) for key in after}
    assert delta["requests"] == USERS
    assert delta["attempts"] == upstream["requests_total"]  # the app's count agrees with the upstream's
    return upstream["requests_total"] / USERS, [o.status for o in outcomes], delta


def test_retry_storm_amplifies_upstream_load(apps: Fleet) -> None:
    storm, storm_statuses, storm_stats = _amplification(apps, "retry_storm")
    gentle, gentle_statuses, _ = _amplification(apps, "backoff")
    # Theory: the storm sends all 5 attempts of each rejected call within the first wave (8·5 + 8 = 48
    # upstream requests for 16, x3.0) and gives up on 8 users; backoff sends each rejected call twice
    # (24, x1.5) and serves everyone. On a loaded box the app's own CPU paces the storm a little, so
    # the margin is wide and the give-ups are not asserted.
    assert storm >= 1.4 * gentle, (storm, gentle)
    assert gentle_statuses == [200] * USERS
    assert storm_statuses.count(200) + storm_stats.get("gave_up", 0) == USERS


class _Rejected(Exception):
    """Just enough of an SDK error for the pure delay policy: `.response.headers`."""

    def __init__(self, headers: dict[str, str]) -> None:
        super().__init__("429")
        self.response = SimpleNamespace(headers=headers)


def test_backoff_honours_retry_after_capped_and_jitters_otherwise() -> None:
    assert backoff_delay_s(0, _Rejected({"retry-after": "1"})) == 1.0
    assert backoff_delay_s(0, _Rejected({"retry-after": "30"})) == MAX_RETRY_AFTER_S
    delays = [backoff_delay_s(attempt, _Rejected({})) for attempt in range(6) for _ in range(50)]
    assert all(0.0 <= d <= MAX_RETRY_AFTER_S for d in delays)
    assert max(backoff_delay_s(0, _Rejected({})) for _ in range(50)) <= 0.05  # first wait: up to 50 ms
    assert len(set(delays)) > 100  # full jitter: no two clients retry in lockstep
