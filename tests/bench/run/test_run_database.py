"""`awaitbench run` with the database scenarios: a fresh PostgreSQL per run (or `--db-url`), their figures in
every point, one line instead of a traceback where PostgreSQL is missing, and nothing left behind after
success or Ctrl-C (no server, no data directory, no port)."""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import bench.run.database
import scenarios
from awaitbench.cli import main
from bench.errors import UsageError
from bench.postgres import DATA_DIR_PREFIX, missing_reason
from bench.processes import wait_port_free
from bench.results import load_run
from bench.run.config import RunConfig
from bench.run.database import run_database, without_unavailable_database
from bench.run.plan import select
from tests.bench.results.schema_check import validate_run_dir
from tests.bench.run.run_processes import listening_ports, run_processes
from tests.interrupts import default_sigint
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[3]
QUICK = ["sync_db_driver", "db_session_held", "--quick", "--duration", "2", "--warmup", "1"]
NEEDS_POSTGRES = pytest.mark.skipif(missing_reason() is not None, reason=str(missing_reason()))


def _first_point(proc: subprocess.Popen[str], out: Path) -> bool:
    assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
    return bool(list((out / "points").glob("*.json")))


def _data_dirs_of(pid: int) -> list[Path]:
    """The fresh servers' directories a command (by pid) made and left."""
    found = []
    for path in Path(tempfile.gettempdir()).glob(f"{DATA_DIR_PREFIX}*"):
        try:
            if int((path / "owner.pid").read_text()) == pid:
                found.append(path)
        except (OSError, ValueError):
            continue
    return found


@NEEDS_POSTGRES
@pytest.mark.slow
@pytest.mark.timeout(240)
def test_quick_run_of_both_database_scenarios_on_a_fresh_server(tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "run", *QUICK, "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=230,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert validate_run_dir(out) == 4
    run = load_run(out)
    assert {info.id for info in run.manifest.scenarios} == {"sync_db_driver", "db_session_held"}
    by_variant = {point.variant: point for point in run.points}
    assert all(point.database is not None and point.database.samples > 0 for point in run.points)
    # As the server saw them: the blocking driver never runs two of the app's queries at once, the held
    # sessions keep the pool's connections open, idle in a transaction. (The pool's own counters come from
    # the app's /app-stats, which a saturated machine may not answer within its second: None then.)
    sync_driver = by_variant["sync_driver"].database
    held = by_variant["session_held"].database
    assert sync_driver is not None and sync_driver.active_peak == 1
    assert sync_driver.pool_checked_out_peak in (1, None)
    assert held is not None and held.connections_peak == 10 and held.idle_in_transaction_at_peak >= 5
    assert held.pool_checked_out_peak in (10, None)
    assert "database system is shut down" in (out / "logs" / "postgres.log").read_text()
    assert run_processes(out) == []
    assert "sync_db_driver" in proc.stdout and "db_session_held" in proc.stdout


@NEEDS_POSTGRES
@pytest.mark.slow
@pytest.mark.timeout(300)
def test_interrupted_database_run_leaves_no_server_no_data_and_no_port(tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench", "run", *QUICK, "--out", str(out)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_sigint,
    )
    try:
        wait_until(lambda: _first_point(proc, out), 150.0, "the first point's results file")
        # Inside the second point once its fake LLM and app listen beside the run's PostgreSQL.
        ports = wait_until(
            lambda: listening_ports(run_processes(out)),
            60.0,
            "the run's PostgreSQL and the second point's servers to listen",
            ready=lambda ports: len(ports) >= 3,
        )
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)  # stopping the server and removing its files included
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, stderr
    assert run_processes(out) == []
    assert _data_dirs_of(proc.pid) == []
    for port in ports:  # nothing listens any more where the server did
        assert wait_port_free(port), f"port {port} still held"


@NEEDS_POSTGRES
def test_a_given_server_is_seeded_and_none_is_started(database_url: str, tmp_path: Path) -> None:
    config = RunConfig(selection=("db_session_held",), db_url=database_url, out_dir=tmp_path / "out")
    selections = select(config.selection, scenarios.catalogue())
    with run_database(config, selections, log_dir=tmp_path, env={}) as url:
        assert url == database_url
    assert not (tmp_path / "postgres.log").exists()


def test_without_postgres_the_database_scenarios_are_skipped_with_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bench.run.database, "missing_reason", lambda: "PostgreSQL was not found")
    everything = select((), scenarios.catalogue())
    kept, note = without_unavailable_database(RunConfig(), everything)
    assert {sel.scenario.id for sel in kept} == {sel.scenario.id for sel in everything} - {
        "sync_db_driver",
        "db_session_held",
    }
    assert note == "skipping sync_db_driver, db_session_held: PostgreSQL was not found"
    # With a server to use, nothing is skipped.
    kept, note = without_unavailable_database(RunConfig(db_url="postgresql://u@127.0.0.1:1/db"), everything)
    assert len(kept) == len(everything) and note == ""
    with pytest.raises(UsageError, match="skipping sync_db_driver: PostgreSQL was not found"):
        without_unavailable_database(RunConfig(), select(("sync_db_driver",), scenarios.catalogue()))


def test_only_database_scenarios_without_postgres_exit_2_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setattr(bench.run.database, "missing_reason", lambda: "PostgreSQL was not found")
    assert main(["run", "sync_db_driver", "--quick", "--out", str(tmp_path / "out")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == ["awaitbench: error: skipping sync_db_driver: PostgreSQL was not found"]


def test_a_db_url_that_is_not_postgresql_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--db-url 'mysql://x': give a postgresql://"):
        RunConfig(db_url="mysql://x", out_dir=tmp_path)
