"""bench.postgres with a real server: a fresh PostgreSQL runs unprivileged on loopback, is seeded, and leaves
no process, data directory or port behind after success, Ctrl-C or a SIGKILL of the command that started it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import psutil
import psycopg
import pytest

from bench.postgres import BINDIR_ENV, find_bindir, fresh_postgres, missing_reason, seed
from bench.processes import wait_port_free
from scenarios._database import DATABASE, USERS
from tests.interrupts import default_sigint
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
TAG = "AWAITBENCH_TEST_PG_TAG"

pytestmark = pytest.mark.skipif(missing_reason() is not None, reason=str(missing_reason()))


def _tagged(tag: str) -> list[psutil.Process]:
    """Live processes whose environment carries `tag` (every process of a server started with it)."""
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.environ().get(TAG) == tag:
                found.append(proc)
        except (psutil.Error, OSError):
            continue
    return found


@pytest.mark.slow
def test_a_fresh_server_is_unprivileged_seeded_and_leaves_nothing(tmp_path: Path) -> None:
    tag = uuid.uuid4().hex
    with fresh_postgres(log_dir=tmp_path, env={TAG: tag}) as pg:
        assert pg.url.startswith("postgresql://bench@127.0.0.1:") and pg.data_dir is not None
        seed(pg.url, DATABASE.seed_sql)
        with psycopg.connect(pg.url) as conn:
            row = conn.execute("SELECT count(*), current_setting('listen_addresses') FROM awaitbench.users")
            assert row.fetchone() == (USERS, "127.0.0.1")
        servers = _tagged(tag)
        assert servers, "the server's processes carry the command's environment"
        if os.geteuid() == 0:
            assert {proc.username() for proc in servers} != {"root"}
        port = int(pg.url.rsplit(":", 1)[1].split("/")[0])
        data_dir = pg.data_dir
    assert not data_dir.parent.exists()
    assert _tagged(tag) == []
    assert wait_port_free(port)
    assert "database system is shut down" in (tmp_path / "postgres.log").read_text()


def _holder(tmp_path: Path, tag: str) -> subprocess.Popen[str]:
    """A command that starts a fresh server, prints its data directory and waits to be interrupted."""
    script = textwrap.dedent(
        f"""
        import time
        from pathlib import Path
        from bench.postgres import fresh_postgres
        with fresh_postgres(log_dir=Path({str(tmp_path)!r}), env={{{TAG!r}: {tag!r}}}) as pg:
            print(pg.data_dir, flush=True)
            time.sleep(120)
        """
    )
    return subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_sigint,
    )


def _end(holder: subprocess.Popen[str]) -> None:
    holder.kill()
    holder.communicate(timeout=30)  # reaped, its pipes closed


def _started(holder: subprocess.Popen[str]) -> Path:
    assert holder.stdout is not None
    line = holder.stdout.readline().strip()
    assert line, holder.stderr.read() if holder.stderr else ""
    return Path(line)


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_ctrl_c_stops_the_server_and_removes_its_data(tmp_path: Path) -> None:
    tag = uuid.uuid4().hex
    holder = _holder(tmp_path, tag)
    try:
        data_dir = _started(holder)
        assert data_dir.is_dir() and _tagged(tag)
        holder.send_signal(signal.SIGINT)
        _, stderr = holder.communicate(timeout=60)
    finally:
        _end(holder)
    assert "KeyboardInterrupt" in stderr
    assert not data_dir.exists()
    assert _tagged(tag) == []


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_a_sigkilled_command_leaves_no_server_and_the_next_start_removes_its_data(tmp_path: Path) -> None:
    tag = uuid.uuid4().hex
    holder = _holder(tmp_path, tag)
    try:
        data_dir = _started(holder)
        holder.kill()  # no finally runs: the server dies by its parent-death signal
    finally:
        _end(holder)
    wait_until(lambda: _tagged(tag) == [], 30.0, "the server to die with the command that started it")
    assert data_dir.is_dir()  # nobody could remove it...
    with fresh_postgres(log_dir=tmp_path / "next"):
        assert not data_dir.parent.exists()  # ...until the next fresh server starts


def test_the_binaries_come_from_the_environment_variable_first(tmp_path: Path) -> None:
    for tool in ("initdb", "postgres"):
        (tmp_path / tool).write_text("#!/bin/sh\n")
        (tmp_path / tool).chmod(0o755)
    assert find_bindir({BINDIR_ENV: str(tmp_path)}) == tmp_path
    (tmp_path / "initdb").unlink()
    assert find_bindir({BINDIR_ENV: str(tmp_path)}) != tmp_path  # incomplete: the usual places instead
