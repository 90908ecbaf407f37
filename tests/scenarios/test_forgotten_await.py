"""forgotten_await: a coroutine called without await never writes; the warning is the only trace."""

from __future__ import annotations

from scenarios.forgotten_await import SCENARIO
from tests.scenarios.clients import app_stats_delta, assert_answers, get_json, wall_time_s
from tests.scenarios.conftest import Fleet, fleet_fixture
from tests.waiting import wait_until

USERS = 10
WARNING = "was never awaited"


apps = fleet_fixture(SCENARIO, shared_llm=True)


def test_missing_await_loses_every_write(apps: Fleet) -> None:
    before = {variant: get_json(f"{url}/app-stats") for variant, url in apps.apps.items()}
    for url in apps.apps.values():
        wall_time_s(url, USERS)
    lost = app_stats_delta(apps.apps["missing_await"], before["missing_await"])
    kept = app_stats_delta(apps.apps["awaited"], before["awaited"])
    assert lost["requests"] == USERS
    assert lost.get("records_written", 0) == 0
    assert kept["records_written"] == kept["requests"] == USERS


def _log(apps: Fleet, variant: str) -> str:
    return apps.processes[variant].log_path.read_text(errors="replace")


def test_warning_is_the_only_trace_and_the_server_survives(apps: Fleet) -> None:
    for url in apps.apps.values():
        assert_answers(url)  # a 200 with an answer, from both
    # The dropped coroutine warns when it is collected, right after its request; stderr is line-buffered.
    wait_until(
        lambda: _log(apps, "missing_await"),
        10.0,
        f"'{WARNING}' in missing_await's log",
        ready=lambda log: WARNING in log,
    )
    assert_answers(apps.apps["missing_await"])  # still serving after the warnings
    assert WARNING not in _log(apps, "awaited")
