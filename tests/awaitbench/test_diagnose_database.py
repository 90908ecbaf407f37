"""`awaitbench diagnose --db-seed FILE` as a user runs it: the app gets `DATABASE_URL` of a fresh PostgreSQL
seeded from FILE, the loop parked in its sync driver is `sync_db_driver`, and no server or data directory is
left behind. One real diagnosis (fake LLM, app, driver, PostgreSQL), short phases, hence `slow`."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import pytest

from bench.postgres import DATA_DIR_PREFIX, missing_reason
from bench.processes import awaitbench_argv
from scenarios._database import DATABASE
from tests.awaitbench.diagnose_catalogue import ROOT, TEST_SETTINGS, Case, requests_file

pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]


def _data_dirs_of(pid: int) -> list[Path]:
    """The PostgreSQL data directories the command `pid` made (`owner.pid` names it) and left behind."""
    return [
        path
        for path in Path(tempfile.gettempdir()).glob(f"{DATA_DIR_PREFIX}*")
        if (path / "owner.pid").is_file() and (path / "owner.pid").read_text().strip() == str(pid)
    ]


@pytest.mark.skipif(missing_reason() is not None, reason=str(missing_reason()))
def test_db_seed_gives_the_app_a_fresh_seeded_database_and_removes_it(tmp_path: Path) -> None:
    seed = tmp_path / "seed.sql"
    seed.write_text(DATABASE.seed_sql)
    case = Case("sync_db_driver", "sync_driver", "pitfall")
    argv = awaitbench_argv(
        "diagnose", case.factory, "--factory", "--requests", str(requests_file(case, tmp_path)),
        "--db-seed", str(seed), "--json", str(tmp_path / "d.json"), *TEST_SETTINGS,
    )  # fmt: skip
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT) as proc:
        _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr[-3000:]
    (route,) = json.loads((tmp_path / "d.json").read_text())["routes"]
    assert route["exercised"], route["reason"]
    assert [f["pitfall"] for f in route["findings"]] == ["sync_db_driver"]
    assert not _data_dirs_of(proc.pid)
