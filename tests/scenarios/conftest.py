"""Real processes for scenario tests: a fake_llm and every variant of a scenario, on loopback ports.

A scenario's processes (its `Fleet`) start on first use and stay up for the session (start-up costs
~1.5 s of CPU per process), so its signature tests and the catalogue-wide tests of test_variants.py share
them. A test module declares its fleet with `apps = fleet_fixture(SCENARIO, ...)`; `FleetPool` starts it
if it is not running, whichever test asks first, and restarts it after a test stopped it: no test depends
on another having run before it. What the order changes is only the cost: by default each scenario's
catalogue-wide checks run right after its own module (see `pytest_collection_modifyitems`), so a fleet
starts once and is stopped before the next one starts. Variant apps run with ResourceWarnings shown, so
the shutdown check can read unclosed clients from their logs. HTTP helpers are in `clients.py`.
"""

from __future__ import annotations

import contextlib
import importlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest

from bench.processes import ManagedProcess, ProcessSpec, awaitbench_argv, free_port
from fake_llm.launch import fake_llm_argv
from scenarios.model import Scenario
from tests.scenarios.clients import assert_answers

Loop = Literal["asyncio", "uvloop"]
API_KEY = "sk-awaitbench-test"


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
    """Start a fake LLM (the scenario's own upstream flags unless overridden; or use the running one at
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


# ------------------------------------------------------------------------------------------ the pool


@dataclass(frozen=True, kw_only=True)
class FleetSetup:
    """How a scenario's fleet is started: its upstream, its app knobs, and what its shutdown may show.

    Args:
        scenario: whose variants to start.
        shared_llm: use the session's default fake LLM (fixed 100 ms) instead of starting one.
        fake_llm_settings: typed settings of the fleet's own fake LLM (default: the scenario's upstream).
        env: scenario knobs for the variant apps.
        leaky: variants whose pitfall is an unclosed client. Each gets one request just before its stop
            (something to leak), and its shutdown check expects the leak: the detector's positive control.

    A scenario with a database (`Scenario.database`) gets the session's seeded PostgreSQL as
    `DATABASE_URL`.
    """

    scenario: Scenario
    shared_llm: bool = False
    fake_llm_settings: Mapping[str, object] | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    leaky: tuple[str, ...] = ()


@dataclass
class _Running:
    setup: FleetSetup
    fleet: Fleet
    stack: contextlib.ExitStack


class FleetPool:
    """Every scenario's fleet, started on first use and kept until a test stops it or the session ends.

    Why a pool: the catalogue-wide tests (test_variants.py) and a scenario's own module need the same
    processes, and starting them twice would double the suite's start-up cost; and any test may run
    first, alone, or after a test that stopped the fleet, so `running` always hands out a live one.
    """

    def __init__(
        self,
        log_root: Callable[[str], Path],
        default_llm: Callable[[], str],
        database_url: Callable[[], str],
    ) -> None:
        self._log_root = log_root
        self._default_llm = default_llm
        self._database_url = database_url
        self._running: dict[str, _Running] = {}
        self._last_stop: dict[str, dict[str, str]] = {}

    def running(self, setup: FleetSetup) -> Fleet:
        """The scenario's live fleet, started now if it is not running."""
        scenario_id = setup.scenario.id
        current = self._running.get(scenario_id)
        if current is not None:
            assert current.setup == setup, f"two different fleet setups for {scenario_id}"
            return current.fleet
        env = dict(setup.env)
        if setup.scenario.database is not None:
            env["DATABASE_URL"] = self._database_url()
        stack = contextlib.ExitStack()
        started = stack.enter_context(
            fleet(
                setup.scenario,
                self._log_root(scenario_id),
                llm=self._default_llm() if setup.shared_llm else None,
                fake_llm_settings=setup.fake_llm_settings,
                env=env,
                loop=module_loop(scenario_id),
            )
        )
        self._running[scenario_id] = _Running(setup, started, stack)
        self._last_stop.pop(scenario_id, None)
        return started

    def stopped(self, setup: FleetSetup) -> dict[str, str]:
        """Stop the scenario's apps gracefully and return each app's log, by variant id.

        The logs of the last stop are kept until the fleet starts again, so every variant's shutdown
        test reads the same stop; with no fleet running (nor stopped since its last start), one is
        started and stopped: its shutdown is checked all the same.
        """
        scenario_id = setup.scenario.id
        if scenario_id not in self._running and scenario_id in self._last_stop:
            return self._last_stop[scenario_id]
        self.running(setup)
        current = self._running.pop(scenario_id)
        try:
            for variant in setup.leaky:
                assert_answers(current.fleet.apps[variant])
            logs = current.fleet.stop_apps()
        finally:
            current.stack.close()
        self._last_stop[scenario_id] = logs
        return logs

    def close(self) -> None:
        fleets = list(self._running.values())
        self._running.clear()
        with ThreadPoolExecutor(max_workers=len(fleets) or 1) as pool:
            list(pool.map(lambda running: running.stack.close(), fleets))


@pytest.fixture(scope="session")
def fleets(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[FleetPool]:
    """The session's fleets; the default fake LLM and the database start only when a fleet first needs one."""
    pool = FleetPool(
        log_root=tmp_path_factory.mktemp,
        default_llm=lambda: str(request.getfixturevalue("default_llm")),
        database_url=lambda: str(request.getfixturevalue("database_url")),
    )
    try:
        yield pool
    finally:
        pool.close()


def fleet_fixture(
    scenario: Scenario,
    *,
    shared_llm: bool = False,
    fake_llm_settings: Mapping[str, object] | None = None,
    env: Mapping[str, str] | None = None,
    leaky: Sequence[str] = (),
) -> Any:
    """An `apps` fixture: the running fleet of every variant of `scenario` on the module's loop.

    The fixture carries its `FleetSetup` as `.fleet_setup`, so the catalogue-wide tests (see
    `fleet_setup_of`) start the very same fleet. Arguments: see `FleetSetup`.
    """
    setup = FleetSetup(
        scenario=scenario,
        shared_llm=shared_llm,
        fake_llm_settings=None if fake_llm_settings is None else dict(fake_llm_settings),
        env=dict(env or {}),
        leaky=tuple(leaky),
    )

    @pytest.fixture
    def apps(fleets: FleetPool) -> Fleet:
        return fleets.running(setup)

    # attr-defined: the setup rides on the fixture object (pytest declares no such attribute), so the
    # catalogue-wide tests find the fleet from the test module alone.
    apps.fleet_setup = setup  # type: ignore[attr-defined]
    return apps


def fleet_setup_of(scenario_id: str) -> FleetSetup:
    """The fleet that a scenario's own test module (`test_<id>.py`) declares with `fleet_fixture`."""
    module = importlib.import_module(f"tests.scenarios.test_{scenario_id}")
    setup: FleetSetup = module.apps.fleet_setup
    return setup


# Catalogue-wide tests that run on a scenario's fleet (test_variants.py); the in-process ones need none.
_ON_A_FLEET = ("test_variant_answers_over_http", "test_variant_stops_cleanly")


def _fleet_scenario(item: pytest.Item) -> str | None:
    """The scenario whose fleet a test runs on: its module's `apps` fixture, or its `scenario` parameter."""
    setup = getattr(getattr(getattr(item, "module", None), "apps", None), "fleet_setup", None)
    if setup is not None:
        return str(setup.scenario.id)
    if isinstance(item, pytest.Function) and item.originalname in _ON_A_FLEET:
        scenario = item.callspec.params["scenario"]
        assert isinstance(scenario, Scenario)
        return scenario.id
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Move each scenario's catalogue-wide fleet checks to just after its own module's tests, and put
    every test on a scenario's fleet in that scenario's xdist group.

    Why: they share that module's fleet and end by stopping it, so this way each fleet starts once and
    only one runs at a time; with `-n 2 --dist loadgroup` a fleet's tests all go to one worker, so two
    workers never start the same fleet. Nothing depends on it: in any other order the pool starts what
    is needed.
    """
    catalogue_wide: defaultdict[str, list[pytest.Item]] = defaultdict(list)
    rest: list[pytest.Item] = []
    for item in items:
        scenario_id = _fleet_scenario(item)
        if scenario_id is not None:
            item.add_marker(pytest.mark.xdist_group(f"fleet-{scenario_id}"))
        if scenario_id is not None and getattr(item, "originalname", "") in _ON_A_FLEET:
            catalogue_wide[scenario_id].append(item)
        else:
            rest.append(item)
    ordered: list[pytest.Item] = []
    for index, item in enumerate(rest):
        ordered.append(item)
        scenario_id = _fleet_scenario(item)
        last_of_module = index + 1 == len(rest) or getattr(rest[index + 1], "module", None) is not getattr(
            item, "module", None
        )
        if scenario_id is not None and last_of_module:
            ordered += catalogue_wide.pop(scenario_id, [])
    items[:] = ordered + [item for group in catalogue_wide.values() for item in group]
