"""The precision test, live: every pitfall variant of the catalogue, diagnosed as a user app with
`awaitbench diagnose MODULE:FACTORY --factory`, gets its own scenario's finding, and every fix variant
gets none. Twenty-four real diagnoses (fake LLM, app, load driver each), two at a time, short phases:
a minute or two on two cores, hence `slow`.

The numbers behind each verdict are wide apart on purpose (e.g. an upstream peak of 1 against 10, a loop
parked 100% against 0%): a loaded machine moves them, not across the thresholds. If one fails on a busy
machine, re-run this module alone before concluding; `python -m tests.awaitbench.diagnose_catalogue
--record` re-records the classifiers' fixtures from the same runs.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.awaitbench.diagnose_catalogue import Case, cases, run_all

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

CASES = list(cases())


@pytest.fixture(scope="module")
def diagnosed(
    tmp_path_factory: pytest.TempPathFactory, database_url: str
) -> dict[str, tuple[subprocess.CompletedProcess[str], Path]]:
    return run_all(tmp_path_factory.mktemp("precision"), database_url=database_url)


def test_the_catalogue_covers_every_pitfall_of_the_issue() -> None:
    assert {c.scenario for c in CASES} == {
        "sync_client", "per_request_client", "serial_awaits", "fan_out", "blocking_work",
        "cpu_work", "timeouts", "retries", "threadpool", "forgotten_await", "sync_db_driver",
        "db_session_held",
    }  # fmt: skip
    assert len(CASES) == 24


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_variant_gets_exactly_its_verdict(
    case: Case, diagnosed: dict[str, tuple[subprocess.CompletedProcess[str], Path]]
) -> None:
    done, out = diagnosed[case.id]
    assert done.returncode == 0, done.stderr[-3000:]
    (route,) = json.loads(out.read_text())["routes"]
    assert route["exercised"], route["reason"]
    found = [f["pitfall"] for f in route["findings"]]
    if case.role == "pitfall":
        assert case.scenario in found, f"{case.id}: {route['findings']}"
    else:
        assert found == [], f"{case.id} is a fix, yet: {[f['evidence'] for f in route['findings']]}"
