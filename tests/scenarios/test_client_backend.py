"""client_backend: the same shared SDK client costs less CPU per call on the aiohttp transport."""

from __future__ import annotations

import psutil
import pytest

from scenarios.client_backend import SCENARIO
from tests.scenarios.clients import wall_time_s
from tests.scenarios.conftest import Fleet, fleet_fixture

USERS = 20
ROUNDS = 15  # 300 requests: CPU times tick in 10 ms, so ~1.5 ms requests need a few hundred


apps = fleet_fixture(SCENARIO, shared_llm=True)


def _cpu_ms_per_request(apps: Fleet, variant: str) -> float:
    process = psutil.Process(apps.processes[variant].pid)
    wall_time_s(apps.apps[variant], USERS)  # warm-up: the pool's connections
    before = process.cpu_times()
    for _ in range(ROUNDS):
        wall_time_s(apps.apps[variant], USERS)
    after = process.cpu_times()
    used_s = (after.user - before.user) + (after.system - before.system)
    return used_s * 1000.0 / (USERS * ROUNDS)


@pytest.mark.perf
def test_raw_aiohttp_costs_less_cpu_per_request_than_either_sdk_transport(apps: Fleet) -> None:
    costs = {variant: _cpu_ms_per_request(apps, variant) for variant in apps.apps}
    # CPU time, not wall time, so a busy machine barely moves it. At this small load (20 users) raw aiohttp
    # is clearly cheapest (0.5-0.8 ms vs 1.3-2.3 ms per request in every run here), but the SDK's two
    # transports are NOT reliably apart: aiohttp / httpx measured 0.75, 0.78 and 1.02 on a quiet machine.
    # Their gap shows at high concurrency, which the bench measures (100 users: 350 vs 496 req/s), so this
    # test asserts only what holds at a test's scale.
    sdk_cheapest = min(costs["httpx_transport"], costs["aiohttp_transport"])
    assert costs["raw_aiohttp"] <= 0.7 * sdk_cheapest, costs
