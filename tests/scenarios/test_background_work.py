"""background_work: the user waits for an inline audit write, not for one in BackgroundTasks."""

from __future__ import annotations

import statistics

import pytest

from scenarios.background_work import SCENARIO
from tests.scenarios.clients import ask_concurrently, get_json
from tests.scenarios.conftest import Fleet, fleet_fixture
from tests.waiting import wait_until

USERS = 5
AUDIT_MS = 300.0


apps = fleet_fixture(SCENARIO, shared_llm=True, env={"AWAITBENCH_AUDIT_MS": f"{AUDIT_MS:g}"})


def _median_s(apps: Fleet, variant: str) -> float:
    outcomes = ask_concurrently(apps.apps[variant], USERS)
    assert [o.status for o in outcomes] == [200] * USERS
    return statistics.median(o.elapsed_s for o in outcomes)


@pytest.mark.perf
def test_inline_write_adds_its_time_to_every_request(apps: Fleet) -> None:
    inline = _median_s(apps, "inline")
    deferred = _median_s(apps, "background_tasks")
    audit_s = AUDIT_MS / 1000.0
    assert inline >= audit_s + 0.9 * SCENARIO.upstream.latency_ms / 1000.0  # L + audit, a hard floor
    assert inline - deferred >= 0.5 * audit_s, (inline, deferred)  # theory: exactly the audit time


def _audit_writes(apps: Fleet) -> list[int]:
    return [get_json(f"{url}/app-stats").get("audit_writes", 0) for url in apps.apps.values()]


def test_background_writes_still_happen(apps: Fleet) -> None:
    before = _audit_writes(apps)
    for url in apps.apps.values():
        assert [o.status for o in ask_concurrently(url, USERS)] == [200] * USERS
    # The deferred writes finish shortly after their responses; count only this test's.
    wait_until(
        lambda: [now - then for now, then in zip(_audit_writes(apps), before, strict=True)],
        10.0,
        f"{USERS} audit writes by each variant",
        ready=lambda done: done == [USERS] * len(before),
    )
