"""Real processes for scenario tests: one fake_llm and every variant of a scenario, on loopback ports.

A test module builds one `Fleet` (module scope: start-up costs ~1.5 s of CPU per process, so the
functional, signature and shutdown tests of a scenario share the same processes) and drives the variants
with real HTTP clients. Variant apps run with ResourceWarnings shown, so the shutdown test can read
unclosed clients from their logs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import urllib.request
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest

from bench.processes import ManagedProcess, ProcessSpec, awaitbench_argv, free_port
from fake_llm.launch import fake_llm_argv
from scenarios.model import Scenario

Loop = Literal["asyncio", "uvloop"]
API_KEY = "sk-awaitbench-test"
# Words that mean a client or socket was left open (aiohttp logs "Unclosed client session"; the
# interpreter warns "unclosed transport" / ResourceWarning when one is garbage-collected).
LEAK_MARKERS = ("Unclosed", "unclosed", "ResourceWarning")


def module_loop(scenario_id: str) -> Loop:
    """The loop a scenario's test module runs its variants on: alternating along the catalogue, so both
    loops carry half the signature tests; `test_loops` starts each fix on the other one."""
    from scenarios import SCENARIO_MODULES

    return "asyncio" if SCENARIO_MODULES.index(scenario_id) % 2 == 0 else "uvloop"


def other_loop(scenario_id: str) -> Loop:
    return "uvloop" if module_loop(scenario_id) == "asyncio" else "asyncio"


@dataclass
class Fleet:
    """A fake LLM and the variant apps pointed at it; URLs by variant id."""

    llm: str
    apps: dict[str, str]
    processes: dict[str, ManagedProcess] = field(default_factory=dict)
    loop: Loop = "asyncio"

    def stop_apps(self) -> dict[str, str]:
        """Stop every app gracefully (SIGTERM, uvicorn's shutdown path), in parallel; return their logs."""
        apps = {v: p for v, p in self.processes.items() if v != "fake_llm"}
        stop_processes(apps.values(), grace_s=8.0)
        return {v: p.log_path.read_text(errors="replace") for v, p in apps.items()}


def stop_processes(processes: Iterable[ManagedProcess], *, grace_s: float) -> None:
    # Each stop waits for its process's graceful shutdown; waiting in parallel saves seconds per module.
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda proc: proc.stop(grace_s=grace_s), processes))


@contextlib.contextmanager
def fake_llm(log_dir: Path, settings: Mapping[str, object]) -> Iterator[str]:
    """A real fake LLM with typed `settings` on a free port; yields its base URL (without /v1)."""
    spec, base = _fake_llm_spec(settings, log_dir)
    with ManagedProcess(spec):
        yield base


@pytest.fixture(scope="session")
def default_llm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One fake LLM with the catalogue's default upstream (fixed 100 ms), shared by the scenario modules
    that need nothing special; each measurement resets its /stats first, and modules run one at a time."""
    from scenarios.model import fixed_latency

    with fake_llm(tmp_path_factory.mktemp("default_llm"), fixed_latency(100.0).fake_llm) as base:
        yield base


def _fake_llm_spec(settings: Mapping[str, object], log_dir: Path) -> tuple[ProcessSpec, str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    spec = ProcessSpec(
        name="fake_llm",
        argv=fake_llm_argv(host="127.0.0.1", port=port, settings=settings),
        ready_url=f"{base}/health",
        log_path=log_dir / "fake_llm.log",
    )
    return spec, base


def app_spec(
    scenario_id: str, variant_id: str, *, llm: str, loop: Loop, env: Mapping[str, str], log_dir: Path
) -> tuple[ProcessSpec, str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    spec = ProcessSpec(
        name=variant_id,
        argv=awaitbench_argv("serve", scenario_id, variant_id, "--port", str(port), "--loop", loop),
        env={
            "OPENAI_BASE_URL": f"{llm}/v1",
            "OPENAI_API_KEY": API_KEY,
            "PYTHONWARNINGS": "always::ResourceWarning",
            **env,
        },
        ready_url=f"{base}/health",
        log_path=log_dir / f"{scenario_id}-{variant_id}-{loop}.log",
        ready_timeout_s=60.0,  # a loaded 2-core CI box starts a dozen interpreters at once
    )
    return spec, base


@contextlib.contextmanager
def fleet(
    scenario: Scenario,
    log_dir: Path,
    *,
    fake_llm_settings: Mapping[str, object] | None = None,
    llm: str | None = None,
    variants: Sequence[str] | None = None,
    loop: Loop = "asyncio",
    env: Mapping[str, str] | None = None,
) -> Iterator[Fleet]:
    """Start a fake LLM (the scenario's own upstream settings unless overridden; or use the running one at
    `llm`) and the variants, in parallel; stop them all on the way out, whatever happened."""
    specs: dict[str, tuple[ProcessSpec, str]] = {}
    if llm is None:
        llm_spec, llm = _fake_llm_spec(
            scenario.upstream.fake_llm if fake_llm_settings is None else fake_llm_settings, log_dir
        )
        specs["fake_llm"] = (llm_spec, llm)
    chosen = [v.id for v in scenario.variants] if variants is None else list(variants)
    app_env = {**scenario.app_env, **(env or {})}
    for variant_id in chosen:
        specs[variant_id] = app_spec(
            scenario.id, variant_id, llm=llm, loop=loop, env=app_env, log_dir=log_dir
        )
    processes = {name: ManagedProcess(spec) for name, (spec, _) in specs.items()}
    try:
        for proc in processes.values():
            proc.start()
        for proc in processes.values():
            proc.wait_ready()
        yield Fleet(
            llm=llm,
            apps={v: specs[v][1] for v in chosen},
            processes=processes,
            loop=loop,
        )
    finally:
        stop_processes(processes.values(), grace_s=3.0)


# ------------------------------------------------------------------------------------------ clients


def get_json(url: str, *, timeout_s: float = 10.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout_s) as response:
        return json.loads(response.read())


def reset_llm_stats(llm: str) -> None:
    request = urllib.request.Request(f"{llm}/stats/reset", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=10.0) as response:
        response.read()


def ask(url: str, question: str = "What is async?", *, timeout_s: float = 30.0) -> httpx.Response:
    return httpx.post(f"{url}/ask", json={"question": question}, timeout=timeout_s)


@dataclass(frozen=True)
class Outcome:
    """One request as its client saw it; `status` is None when the client gave up (timeout_s)."""

    status: int | None
    elapsed_s: float
    first_byte_s: float
    body: bytes


async def _one(client: httpx.AsyncClient, url: str, question: str) -> Outcome:
    start = time.perf_counter()
    first: float | None = None
    chunks: list[bytes] = []
    try:
        async with client.stream("POST", f"{url}/ask", json={"question": question}) as response:
            async for chunk in response.aiter_raw():
                if first is None:
                    first = time.perf_counter() - start
                chunks.append(chunk)
            status: int | None = response.status_code
    except httpx.TimeoutException:
        status = None
    elapsed = time.perf_counter() - start
    return Outcome(
        status=status,
        elapsed_s=elapsed,
        first_byte_s=elapsed if first is None else first,
        body=b"".join(chunks),
    )


def ask_concurrently(url: str, n: int, *, timeout_s: float = 30.0) -> list[Outcome]:
    """`n` requests at once from `n` connections; each outcome as its client saw it."""

    async def run() -> list[Outcome]:
        limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
        async with httpx.AsyncClient(timeout=timeout_s, limits=limits) as client:
            return list(await asyncio.gather(*(_one(client, url, f"question {i}") for i in range(n))))

    return asyncio.run(run())


def wall_time_s(url: str, n: int, *, timeout_s: float = 60.0) -> float:
    """Wall time for `n` concurrent requests, asserting they all succeeded."""
    start = time.perf_counter()
    outcomes = ask_concurrently(url, n, timeout_s=timeout_s)
    elapsed = time.perf_counter() - start
    statuses = [o.status for o in outcomes]
    assert statuses == [200] * n, statuses
    return elapsed


def leaks(log: str) -> list[str]:
    """Lines of an app log that report an unclosed client, socket or transport."""
    return [line for line in log.splitlines() if any(marker in line for marker in LEAK_MARKERS)]


def assert_answers(url: str) -> dict[str, Any]:
    """One `/ask` answered 200 with a non-empty answer; returns the JSON body."""
    response = ask(url)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["answer"], body
    return body


def assert_clean_shutdown(apps: Fleet, *, leaky: Sequence[str] = ()) -> dict[str, str]:
    """Stop every app gracefully; each must finish its lifespan shutdown and, unless listed in `leaky`,
    report no unclosed client. Returns the logs for further checks."""
    logs = apps.stop_apps()
    for variant_id, log in logs.items():
        assert "Application shutdown complete" in log, (
            f"{variant_id} did not shut down cleanly:\n{log[-2000:]}"
        )
        if variant_id not in leaky:
            assert leaks(log) == [], f"{variant_id} left resources open:\n{log[-2000:]}"
    return logs


def fleet_fixture(
    scenario: Scenario,
    *,
    shared_llm: bool = False,
    fake_llm_settings: Mapping[str, object] | None = None,
    env: Mapping[str, str] | None = None,
) -> Any:
    """A module-scoped `apps` fixture: every variant of `scenario` on the module's loop.

    Args:
        shared_llm: use the session's default fake LLM (fixed 100 ms) instead of starting one.
        fake_llm_settings: typed fake_llm settings for the module's own fake LLM (default: the scenario's
            upstream profile).
        env: scenario knobs for the variant apps.
    """

    @pytest.fixture(scope="module")
    def apps(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Fleet]:
        llm = request.getfixturevalue("default_llm") if shared_llm else None
        with fleet(
            scenario,
            tmp_path_factory.mktemp(scenario.id),
            llm=llm,
            fake_llm_settings=fake_llm_settings,
            env=env,
            loop=module_loop(scenario.id),
        ) as running:
            yield running

    return apps
