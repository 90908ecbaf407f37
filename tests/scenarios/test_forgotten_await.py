"""forgotten_await: a coroutine called without await never writes; the warning is the only trace."""

from __future__ import annotations

import pytest

from scenarios.forgotten_await import SCENARIO
from tests.scenarios.conftest import (
    Fleet,
    assert_answers,
    assert_clean_shutdown,
    fleet_fixture,
    get_json,
    wall_time_s,
)

USERS = 10


apps = fleet_fixture(SCENARIO, shared_llm=True)


@pytest.mark.parametrize("variant", [v.id for v in SCENARIO.variants])
def test_every_variant_answers(apps: Fleet, variant: str) -> None:
    assert_answers(apps.apps[variant])


def test_missing_await_loses_every_write(apps: Fleet) -> None:
    for url in apps.apps.values():
        wall_time_s(url, USERS)
    lost = get_json(f"{apps.apps['missing_await']}/app-stats")
    kept = get_json(f"{apps.apps['awaited']}/app-stats")
    assert lost["requests"] == 1 + USERS
    assert lost.get("records_written", 0) == 0
    assert kept["records_written"] == kept["requests"] == 1 + USERS


def test_warning_is_the_only_trace_and_the_server_survives(apps: Fleet) -> None:
    assert_answers(apps.apps["missing_await"])  # still serving after the warnings
    logs = assert_clean_shutdown(apps)
    assert "was never awaited" in logs["missing_await"]
    assert "was never awaited" not in logs["awaited"]
