"""Shared fixtures: real processes on loopback ports, always torn down.

`start_fake_llm(preset=..., **settings)` starts `python -m fake_llm` (argv from `fake_llm.launch`) on a free
port and returns its base URL (`http://127.0.0.1:P`); every process a test starts is stopped when the test
ends. `database_url` is the session's fresh PostgreSQL, seeded for the database scenarios.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bench.processes import ManagedProcess, ProcessSpec, free_port
from fake_llm.launch import fake_llm_argv


@pytest.fixture
def start_process(tmp_path: Path) -> Iterator[Callable[[ProcessSpec], ManagedProcess]]:
    """Start a ProcessSpec, wait until ready; stopped at teardown whatever the test did."""
    started: list[ManagedProcess] = []

    def _start(spec: ProcessSpec) -> ManagedProcess:
        if spec.log_path is None:
            spec = ProcessSpec(**{**spec.__dict__, "log_path": tmp_path / f"{spec.name}-{len(started)}.log"})
        proc = ManagedProcess(spec)
        started.append(proc)
        proc.start()
        proc.wait_ready()
        return proc

    yield _start
    for proc in reversed(started):
        proc.stop()


@pytest.fixture
def start_fake_llm(start_process: Callable[[ProcessSpec], ManagedProcess]) -> Callable[..., str]:
    """Start a real fake_llm with typed settings (`start_fake_llm(preset="instant", ttft_ms=200.0)`);
    returns its base URL."""

    def _start(*, preset: str | None = None, **settings: object) -> str:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        start_process(
            ProcessSpec(
                name="fake_llm",
                argv=fake_llm_argv(host="127.0.0.1", port=port, preset=preset, settings=settings),
                ready_url=f"{base}/health",
            )
        )
        return base

    return _start


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One fresh PostgreSQL for the session, seeded for the database scenarios (skipped, with the reason,
    on a machine without PostgreSQL); the variants only add answers, so the modules can share it."""
    from bench.postgres import fresh_postgres, missing_reason, seed
    from scenarios._database import DATABASE

    reason = missing_reason()
    if reason is not None:
        pytest.skip(reason)
    with fresh_postgres(log_dir=tmp_path_factory.mktemp("postgres")) as pg:
        seed(pg.url, DATABASE.seed_sql)
        yield pg.url


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook turns the groups into node ids
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test using a module-scoped fixture of its own module runs on that module's worker, so the
    fixture (a diagnosis of the catalogue, a browser, a fleet) is built once, not once per xdist worker."""
    for item in items:
        if item.get_closest_marker("xdist_group") is not None:
            continue
        module = item.nodeid.split("::", 1)[0]
        fixtures = getattr(item, "_fixtureinfo", None)
        definitions = fixtures.name2fixturedefs.values() if fixtures is not None else ()
        if any(d.scope == "module" and d.baseid == module for defs in definitions for d in defs):
            item.add_marker(pytest.mark.xdist_group(module))
