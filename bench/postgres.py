"""A fresh PostgreSQL for a command: `initdb` into a temporary directory, started through `bench.processes`
(loopback only, a free port, an unprivileged user when run as root), seeded, stopped and removed with the
command, Ctrl-C included (docs/bench.md, "The database").
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import psycopg

from bench.errors import AwaitbenchError, ProcessFailed
from bench.processes import ManagedProcess, ProcessSpec, free_port

__all__ = [
    "BINDIR_ENV",
    "DATABASE",
    "DATA_DIR_PREFIX",
    "DatabaseUnavailable",
    "Postgres",
    "find_bindir",
    "fresh_postgres",
    "missing_reason",
    "seed",
]

BINDIR_ENV = "AWAITBENCH_PG_BINDIR"  # where initdb and postgres are, when not in a usual place
DATABASE = "awaitbench"
DATA_DIR_PREFIX = "awaitbench-pg-"
_ROLE = "bench"
_OWNER_FILE = "owner.pid"
_RUN_AS = ("postgres", "nobody")  # PostgreSQL refuses to run as root: the first of these that exists
_INITDB_TIMEOUT_S = 120.0
_CONNECT_TIMEOUT_S = 30.0
# Settings of a throwaway server: no durability (nothing here must survive a crash), loopback only, no
# Unix socket (nothing left in a shared directory), room for every pool a scenario opens.
_SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "unix_socket_directories": "",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "shared_buffers": "64MB",
}


class DatabaseUnavailable(AwaitbenchError):
    """No PostgreSQL to start here (the message says what is missing and how to fix it). Exit code 2."""

    exit_code = 2


@dataclass(frozen=True, kw_only=True)
class Postgres:
    """A running server: `url` is what an app reads as `DATABASE_URL`."""

    url: str
    data_dir: Path  # removed when the server stops


def find_bindir(environ: Mapping[str, str] | None = None) -> Path | None:
    """The directory holding `initdb` and `postgres`: `$AWAITBENCH_PG_BINDIR`, else Debian's and Ubuntu's
    `/usr/lib/postgresql/<version>/bin` (the newest), else the one on PATH; None when there is none."""
    env = os.environ if environ is None else environ
    candidates = [env[BINDIR_ENV]] if env.get(BINDIR_ENV) else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version, reverse=True)
    on_path = shutil.which("postgres")
    if on_path:
        candidates.append(str(Path(on_path).resolve().parent))
    for candidate in candidates:
        bindir = Path(candidate)
        if all(os.access(bindir / tool, os.X_OK) for tool in ("initdb", "postgres")):
            return bindir
    return None


def _version(bindir: str) -> float:
    try:
        return float(Path(bindir).parent.name)
    except ValueError:
        return 0.0


def missing_reason() -> str | None:
    """Why no fresh PostgreSQL can be started on this machine (None: one can)."""
    if find_bindir() is None:
        return (
            f"PostgreSQL's initdb and postgres were not found (looked in ${BINDIR_ENV}, "
            "/usr/lib/postgresql/*/bin and PATH): install it (`make postgres`, or apt-get install "
            "postgresql) or pass --db-url postgresql://..."
        )
    if os.geteuid() == 0 and _run_as() is None:
        return f"running as root and none of the users {', '.join(_RUN_AS)} exists to run PostgreSQL"
    return None


def _run_as() -> str | None:
    """The unprivileged user a server started by root runs as."""
    for name in _RUN_AS:
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name).pw_name
    return None


def _data_dir(user: str | None) -> Path:
    """A new temporary directory for this command's server: `owner.pid` (whose it is) and `data/` (the
    cluster, owned by `user`)."""
    root = Path(tempfile.mkdtemp(prefix=DATA_DIR_PREFIX))
    (root / _OWNER_FILE).write_text(f"{os.getpid()}\n")
    data_dir = root / "data"
    data_dir.mkdir(mode=0o700)
    if user is not None:
        entry = pwd.getpwnam(user)
        root.chmod(0o755)
        os.chown(data_dir, entry.pw_uid, entry.pw_gid)
    return data_dir


def _initdb(bindir: Path, data_dir: Path, user: str | None, log_dir: Path, env: Mapping[str, str]) -> None:
    argv = [
        str(bindir / "initdb"), "-D", str(data_dir), "-A", "trust", "-U", _ROLE,
        "--no-sync", "-E", "UTF8", "--locale=C", "--no-instructions",
    ]  # fmt: skip
    spec = ProcessSpec(name="initdb", argv=argv, env=env, log_path=log_dir / "initdb.log", user=user)
    proc = ManagedProcess(spec).start()
    try:
        code = proc.wait(_INITDB_TIMEOUT_S)
    finally:
        proc.stop()
    if code != 0:
        raise ProcessFailed(
            f"initdb exited with code {code}; its log is {spec.log_path}", stderr_tail=proc.log_tail()
        )


def _server_spec(
    bindir: Path, data_dir: Path, port: int, user: str | None, log_dir: Path, env: Mapping[str, str]
) -> ProcessSpec:
    settings = [arg for name, value in _SERVER_SETTINGS.items() for arg in ("-c", f"{name}={value}")]
    return ProcessSpec(
        name="postgres",
        argv=[str(bindir / "postgres"), "-D", str(data_dir), "-p", str(port), *settings],
        env=env,
        ready_url=f"tcp://127.0.0.1:{port}",
        ready_timeout_s=60.0,
        log_path=log_dir / "postgres.log",
        stop_signal=signal.SIGINT,  # "fast" shutdown: clients are disconnected, nothing is waited for
        stop_grace_s=10.0,
        user=user,
    )


def _connect_until_ready(url: str, server: ManagedProcess) -> psycopg.Connection:
    """A connection once the server accepts them (it listens a moment before it is out of recovery)."""
    deadline = time.monotonic() + _CONNECT_TIMEOUT_S
    while True:
        server.check_alive("while starting")
        try:
            return psycopg.connect(url, autocommit=True, connect_timeout=5)
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                raise ProcessFailed(
                    f"postgres did not accept connections at {url}: {exc}", stderr_tail=server.log_tail()
                ) from exc
            time.sleep(0.05)


@contextlib.contextmanager
def fresh_postgres(*, log_dir: Path, env: Mapping[str, str] | None = None) -> Iterator[Postgres]:
    """Start a new server with an empty database `awaitbench`; stop it and remove its data on the way out.

    Args:
        log_dir: where `initdb.log` and `postgres.log` go.
        env: extra environment of the server's processes (e.g. the run's tag).

    Raises:
        DatabaseUnavailable: PostgreSQL is not installed, or there is no user to run it as.
        ProcessFailed: initdb or the server failed (the message names the log).
    """
    reason, bindir = missing_reason(), find_bindir()
    if reason is not None or bindir is None:
        raise DatabaseUnavailable(reason or "PostgreSQL's binaries disappeared while starting")
    user = _run_as() if os.geteuid() == 0 else None
    extra = dict(env or {})
    _remove_stale_data_dirs()
    data_dir = _data_dir(user)
    try:
        _initdb(bindir, data_dir, user, log_dir, extra)
        port = free_port()
        with ManagedProcess(_server_spec(bindir, data_dir, port, user, log_dir, extra)) as server:
            admin = f"postgresql://{_ROLE}@127.0.0.1:{port}/postgres"
            with _connect_until_ready(admin, server) as conn:
                conn.execute(f"CREATE DATABASE {DATABASE}")
            yield Postgres(url=f"postgresql://{_ROLE}@127.0.0.1:{port}/{DATABASE}", data_dir=data_dir)
    finally:
        shutil.rmtree(data_dir.parent, ignore_errors=True)


def _remove_stale_data_dirs() -> None:
    """The directories of commands that were SIGKILLed (their server died with them, by its parent-death
    signal, but nobody removed the files): removed once the command that made one is gone."""
    for path in Path(tempfile.gettempdir()).glob(f"{DATA_DIR_PREFIX}*"):
        try:
            owner = int((path / _OWNER_FILE).read_text().strip())
        except (OSError, ValueError):
            continue  # not ours, or still being made
        if not _alive(owner):
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def seed(url: str, sql: str) -> None:
    """Run a scenario's seed script (schema and deterministic data) in one transaction.

    Raises:
        AwaitbenchError: the server refused the connection or the script (the message says which).
    """
    try:
        with psycopg.connect(url, connect_timeout=10) as conn:
            conn.execute(sql)  # a script of statements: no parameters, so psycopg sends it as it is
    except psycopg.Error as exc:
        raise AwaitbenchError(f"seeding the database at {url} failed: {type(exc).__name__}: {exc}") from exc
