"""Every scenario runs on both loops: each test module runs its variants on `module_loop`; here every
scenario's fix variant is started on the other loop too (all at once, against one fake LLM)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.processes import ManagedProcess
from scenarios import catalogue
from scenarios.model import Scenario
from tests.scenarios.clients import ask
from tests.scenarios.conftest import app_spec, other_loop, stop_processes


def _database_env(request: pytest.FixtureRequest) -> dict[str, str] | None:
    """`DATABASE_URL` of the session's seeded PostgreSQL; None where there is none (those fixes skip)."""
    try:
        return {"DATABASE_URL": str(request.getfixturevalue("database_url"))}
    except pytest.skip.Exception:
        return None


@pytest.fixture(scope="module")
def fixes_on_other_loop(
    tmp_path_factory: pytest.TempPathFactory, default_llm: str, request: pytest.FixtureRequest
) -> Iterator[dict[str, str]]:
    log_dir: Path = tmp_path_factory.mktemp("loops")
    urls: dict[str, str] = {}
    processes: list[ManagedProcess] = []
    database = _database_env(request) if any(s.database for s in catalogue()) else None
    try:
        for scenario in catalogue():
            env = dict(scenario.app_env)
            if scenario.database is not None:
                if database is None:
                    continue
                env.update(database)
            spec, url = app_spec(
                scenario.id,
                scenario.fix_variant,
                llm=default_llm,
                loop=other_loop(scenario.id),
                env=env,
                log_dir=log_dir,
            )
            processes.append(ManagedProcess(spec).start())
            urls[scenario.id] = url
        for proc in processes:
            proc.wait_ready()
        yield urls
    finally:
        stop_processes(processes, grace_s=3.0)


@pytest.mark.parametrize("scenario", catalogue(), ids=lambda s: s.id)
def test_fix_variant_answers_on_the_other_loop(
    scenario: Scenario, fixes_on_other_loop: dict[str, str]
) -> None:
    if scenario.id not in fixes_on_other_loop:
        pytest.skip("no PostgreSQL on this machine for the database scenarios")
    response = ask(fixes_on_other_loop[scenario.id])
    assert response.status_code == 200, response.text
    if scenario.request.stream:
        assert response.text.rstrip().endswith("data: [DONE]")
    else:
        assert response.json()["answer"]
