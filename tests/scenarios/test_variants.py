"""Every variant of every scenario, checked the same way at the two levels that apply to all of them.

- In process (logic, `in_process.py`): the variant and fake_llm in this process, joined by ASGI transports.
  It answers; the `upstream_calls` it reports is what the upstream received; it warns only as its pitfall
  does (a forgotten await). No socket, no subprocess: a few seconds for the whole catalogue.
- Real processes (behaviour, `conftest.py`): the variant under uvicorn via `awaitbench serve`, on the fleet
  its scenario's module declares (shared with that module's signature tests). It answers over HTTP, and
  on SIGTERM it finishes its lifespan shutdown with no unclosed client; a variant whose pitfall is an
  unclosed client must show it (the leak detector's positive control).

What tells a pitfall from its fix is in each scenario's own module (test_<scenario>.py); the CLI as a user
runs it is in test_cli.py. By default each scenario's real-process checks here run right after its own
module (conftest.py reorders them), so they find its fleet running and end by stopping it.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import json
import warnings
from collections.abc import Mapping

import httpx
import pytest

from scenarios import catalogue
from scenarios.model import RequestSpec, Scenario, Variant
from tests.scenarios.clients import leaks
from tests.scenarios.conftest import FleetPool, fleet_setup_of
from tests.scenarios.in_process import load_factory, serve_in_process

CASES = [pytest.param(s, v, id=f"{s.id}-{v.id}") for s in catalogue() for v in s.variants]

# Variants that build their own HTTP stack instead of taking an SDK client from the plumbing (that stack
# is what they show), so the in-process seam cannot reach them: they are tested on real processes only.
NEEDS_A_SOCKET: Mapping[tuple[str, str], str] = {
    ("per_request_client", "httpx_per_request"): "a bare httpx.AsyncClient per request",
    ("client_backend", "aiohttp_transport"): "the SDK on DefaultAioHttpClient",
    ("client_backend", "raw_aiohttp"): "a raw aiohttp session",
}
# Variants whose point is processes of their own (a pool of fresh interpreters): spawning them is neither
# quick nor logic, so they too are tested on real processes only.
NEEDS_PROCESSES: Mapping[tuple[str, str], str] = {
    ("cpu_work", "process_pool"): "spawns a process pool",
}
# The only warnings a variant may raise in process: its pitfall's own.
EXPECTED_WARNINGS: Mapping[tuple[str, str], str] = {
    ("forgotten_await", "missing_await"): "was never awaited",
}
# Per try over HTTP; the timeouts scenario's upstream hangs on every 4th call on purpose, so a variant
# gets a second try, and a hung call costs seconds, not the SDK's default ten minutes.
HTTP_TRY_TIMEOUT_S = 3.0


def _key(scenario: Scenario, variant: Variant) -> tuple[str, str]:
    return scenario.id, variant.id


def _json_body(request: RequestSpec) -> dict[str, object] | None:
    return None if request.json_body is None else dict(request.json_body)


def assert_answered(response: httpx.Response) -> int | None:
    """A 200 with an answer in it, JSON or server-sent events; returns the JSON's `upstream_calls`."""
    assert response.status_code == 200, response.text[-2000:]
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        events = [line.removeprefix("data: ") for line in response.text.splitlines() if line]
        assert events and events[-1] == "[DONE]", events[-3:]
        assert "".join(json.loads(event)["delta"] for event in events[:-1]).strip(), events[:3]
        return None
    body = response.json()
    assert body["answer"], body
    return int(body["upstream_calls"])


# ------------------------------------------------------------------------------------ in process


async def _ask_in_process(scenario: Scenario, variant: Variant) -> tuple[httpx.Response | Exception, int]:
    """The variant's answer (or the error the app raised through ASGI) and the upstream's request count."""
    async with serve_in_process(load_factory(variant.factory)) as served:
        request = scenario.request
        try:
            answer: httpx.Response | Exception = await served.client.request(
                request.method, request.path, json=_json_body(request)
            )
        except Exception as exc:  # an error no handler of the app maps to a status
            answer = exc
        return answer, served.upstream_requests()


def _run_recording_warnings(
    scenario: Scenario, variant: Variant
) -> tuple[httpx.Response | Exception, int, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        answer, upstream_requests = asyncio.run(_ask_in_process(scenario, variant))
        gc.collect()  # warnings raised when garbage is collected (a coroutine never awaited) count too
    return answer, upstream_requests, [f"{w.category.__name__}: {w.message}" for w in caught]


IN_PROCESS_CASES = [
    pytest.param(s, v, id=f"{s.id}-{v.id}")
    for s in catalogue()
    for v in s.variants
    if (s.id, v.id) not in {**NEEDS_A_SOCKET, **NEEDS_PROCESSES}
]


@pytest.mark.parametrize(("scenario", "variant"), IN_PROCESS_CASES)
def test_variant_answers_in_process(
    scenario: Scenario, variant: Variant, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    for name, value in scenario.app_env.items():
        monkeypatch.setenv(name, value)
    if scenario.database is not None:  # a real, seeded PostgreSQL: the drivers are what the variants show
        monkeypatch.setenv("DATABASE_URL", str(request.getfixturevalue("database_url")))
    answer, upstream_requests, caught = _run_recording_warnings(scenario, variant)
    if isinstance(answer, Exception):
        raise answer
    upstream_calls = assert_answered(answer)
    assert upstream_requests == (1 if upstream_calls is None else upstream_calls)
    expected = EXPECTED_WARNINGS.get(_key(scenario, variant))
    assert [w for w in caught if expected is None or expected not in w] == []
    if expected is not None:
        assert any(expected in w for w in caught), f"the pitfall's warning ({expected}) is missing"


@pytest.mark.parametrize("key", sorted(NEEDS_A_SOCKET), ids="-".join)
def test_a_variant_outside_the_seam_never_reaches_a_network(key: tuple[str, str]) -> None:
    # The control for the table: in process, such a variant fails (its base URL never resolves) and the
    # in-process upstream sees nothing. If it answers, it now uses the seam: drop it from NEEDS_A_SOCKET.
    scenario = next(s for s in catalogue() if s.id == key[0])
    answer, upstream_requests, _ = _run_recording_warnings(scenario, scenario.variant(key[1]))
    assert upstream_requests == 0
    assert isinstance(answer, Exception) or answer.status_code != 200, answer.text


# ------------------------------------------------------------------------------------ real processes


def _answer_over_http(url: str, request: RequestSpec, *, tries: int = 2) -> httpx.Response:
    last: httpx.Response | Exception | None = None
    for _ in range(tries):
        try:
            last = httpx.request(
                request.method, f"{url}{request.path}", json=_json_body(request), timeout=HTTP_TRY_TIMEOUT_S
            )
        except httpx.TimeoutException as exc:
            last = exc
            continue
        if last.status_code == 200:
            return last
    assert isinstance(last, httpx.Response), f"no answer in {tries} tries: {last!r}"
    return last


@pytest.mark.parametrize(("scenario", "variant"), CASES)
def test_variant_answers_over_http(scenario: Scenario, variant: Variant, fleets: FleetPool) -> None:
    fleet = fleets.running(fleet_setup_of(scenario.id))
    assert_answered(_answer_over_http(fleet.apps[variant.id], scenario.request))


@pytest.mark.parametrize(("scenario", "variant"), CASES)
def test_variant_stops_cleanly(scenario: Scenario, variant: Variant, fleets: FleetPool) -> None:
    setup = fleet_setup_of(scenario.id)
    log = fleets.stopped(setup)[variant.id]
    assert "Application shutdown complete" in log, f"no clean lifespan shutdown:\n{log[-2000:]}"
    if variant.id in setup.leaky:  # the positive control: the detector sees what the pitfall leaves open
        assert leaks(log), f"the leak detector saw nothing:\n{log[-2000:]}"
    else:
        assert leaks(log) == [], f"resources left open:\n{log[-2000:]}"


# ------------------------------------------------------------------------------------ the tables


@pytest.mark.parametrize("scenario", catalogue(), ids=lambda s: s.id)
def test_every_scenario_declares_its_fleet_in_its_own_module(scenario: Scenario) -> None:
    module = importlib.import_module(f"tests.scenarios.test_{scenario.id}")
    setup = fleet_setup_of(scenario.id)
    assert module.__doc__ and setup.scenario is scenario
    assert set(setup.leaky) <= {v.id for v in scenario.variants}


def test_the_tables_name_real_variants() -> None:
    known = {_key(s, v) for s in catalogue() for v in s.variants}
    assert set(NEEDS_A_SOCKET) | set(NEEDS_PROCESSES) | set(EXPECTED_WARNINGS) <= known
