"""background_work: the user waits for an inline audit write, not for one in BackgroundTasks."""

from __future__ import annotations

import statistics
import time

import pytest

from scenarios.background_work import SCENARIO
from tests.scenarios.conftest import (
    Fleet,
    ask_concurrently,
    assert_answers,
    assert_clean_shutdown,
    fleet_fixture,
    get_json,
)

USERS = 5
AUDIT_MS = 300.0


apps = fleet_fixture(SCENARIO, shared_llm=True, env={"AWAITBENCH_AUDIT_MS": f"{AUDIT_MS:g}"})


@pytest.mark.parametrize("variant", [v.id for v in SCENARIO.variants])
def test_every_variant_answers(apps: Fleet, variant: str) -> None:
    assert_answers(apps.apps[variant])


def _median_s(apps: Fleet, variant: str) -> float:
    outcomes = ask_concurrently(apps.apps[variant], USERS)
    assert [o.status for o in outcomes] == [200] * USERS
    return statistics.median(o.elapsed_s for o in outcomes)


def test_inline_write_adds_its_time_to_every_request(apps: Fleet) -> None:
    inline = _median_s(apps, "inline")
    deferred = _median_s(apps, "background_tasks")
    audit_s = AUDIT_MS / 1000.0
    assert inline >= audit_s + 0.9 * SCENARIO.upstream.latency_ms / 1000.0  # L + audit, a hard floor
    assert inline - deferred >= 0.5 * audit_s, (inline, deferred)  # theory: exactly the audit time


def test_background_writes_still_happen(apps: Fleet) -> None:
    requests = 1 + USERS  # the functional test's request and the burst above
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:  # the deferred writes finish shortly after their responses
        writes = [get_json(f"{url}/app-stats").get("audit_writes", 0) for url in apps.apps.values()]
        if writes == [requests, requests]:
            break
        time.sleep(0.1)
    assert writes == [requests, requests]


def test_shared_clients_closed_at_shutdown(apps: Fleet) -> None:
    assert_clean_shutdown(apps)
