"""bench.processes with real children: typed errors that name the log, readiness, and a child always
stopped and reaped, even when `Popen`'s own bookkeeping is wedged."""

from __future__ import annotations

import re
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import psutil
import pytest

from bench.errors import ProcessFailed
from bench.processes import (
    ManagedProcess,
    ProcessSpec,
    free_port,
    free_ports,
    http_json,
    stop_together,
    wait_port_free,
)


def test_stop_reaps_a_child_whose_popen_lock_a_ctrl_c_left_held() -> None:
    """A Ctrl-C inside `Popen.wait`, just after it took its `_waitpid_lock`, leaves the lock held: from then
    on `Popen.wait` times out and `poll` says "running" even for a dead child. `stop` must still end and
    reap it (before the fix: TimeoutExpired out of `stop`, a traceback instead of exit 130)."""
    spec = ProcessSpec(name="sleeper", argv=[sys.executable, "-c", "import time; time.sleep(60)"])
    process = ManagedProcess(spec).start()
    popen = process._popen
    assert popen is not None
    # What the interrupted wait leaves behind (the lock is private to CPython's Popen, so typeshed has no
    # declaration of it: attr-defined).
    lock: threading.Lock = popen._waitpid_lock  # type: ignore[attr-defined]
    assert lock.acquire(False)
    try:
        process.stop(grace_s=1.0)
        assert process.returncode is not None and process.returncode < 0  # killed by SIGTERM, and reaped
        assert not psutil.pid_exists(popen.pid) or psutil.Process(popen.pid).status() != "zombie"
    finally:
        lock.release()


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


_LISTEN = (
    "import signal, socket, sys, time\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN) if 'stubborn' in sys.argv else None\n"
    "s = socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen()\n"
    "time.sleep(60)\n"
)


def test_a_child_that_dies_before_it_is_ready_is_a_typed_error_with_its_log(tmp_path: Path) -> None:
    spec = ProcessSpec(
        name="app",
        argv=_python("import sys; print('db.internal refused'); sys.exit(3)"),
        ready_url=f"http://127.0.0.1:{free_port()}/health",
        log_path=tmp_path / "app.log",
    )
    with pytest.raises(ProcessFailed) as failed, ManagedProcess(spec):
        pass
    assert str(failed.value) == f"app exited with code 3 while starting; its log is {tmp_path / 'app.log'}"
    assert failed.value.stderr_tail == "db.internal refused"


def test_a_port_readiness_waits_for_a_listener_and_times_out_naming_the_log(tmp_path: Path) -> None:
    port = free_port()
    spec = ProcessSpec(name="app", argv=[*_python(_LISTEN), str(port)], ready_url=f"tcp://127.0.0.1:{port}")
    with ManagedProcess(spec) as proc:
        assert proc.returncode is None
    assert wait_port_free(port)
    silent = ProcessSpec(
        name="app", argv=_python("import time; time.sleep(60)"), ready_url=f"tcp://127.0.0.1:{port}",
        ready_timeout_s=0.3, log_path=tmp_path / "silent.log",
    )  # fmt: skip
    not_ready = re.escape(f"app was not ready at tcp://127.0.0.1:{port} within 0.3 s; its log")
    with pytest.raises(ProcessFailed, match=not_ready), ManagedProcess(silent):
        pass


def test_http_json_names_the_url_and_carries_the_childs_log(tmp_path: Path) -> None:
    spec = ProcessSpec(name="fake_llm", argv=_python("print('bound elsewhere')"), log_path=tmp_path / "f.log")
    child = ManagedProcess(spec).start()
    assert child.wait(10.0) == 0
    url = f"http://127.0.0.1:{free_port()}/stats"
    with pytest.raises(
        ProcessFailed,
        match=re.escape(f"GET {url} failed (URLError: <urlopen error [Errno 111] Connection refused>)"),
    ) as failed:
        http_json(url, child=child)
    assert failed.value.stderr_tail == "bound elsewhere"
    child.stop()


def test_wait_that_runs_out_is_a_typed_error_and_the_child_is_still_stoppable() -> None:
    proc = ManagedProcess(ProcessSpec(name="generator", argv=_python("import time; time.sleep(60)"))).start()
    try:
        with pytest.raises(ProcessFailed, match=re.escape("generator did not finish within 0.2 s")):
            proc.wait(0.2)
        assert proc.returncode is None
    finally:
        assert proc.stop() == -signal.SIGTERM


def test_stop_together_ends_every_child_with_its_own_signal_and_frees_their_ports() -> None:
    ports = free_ports(3)
    assert len(set(ports)) == 3

    def listener(name: str, port: int, *extra: str, **stop: Any) -> ManagedProcess:
        argv = [*_python(_LISTEN), str(port), *extra]
        return ManagedProcess(ProcessSpec(name=name, argv=argv, ready_url=f"tcp://127.0.0.1:{port}", **stop))

    procs = [
        listener("polite", ports[0]),
        listener("stubborn", ports[1], "stubborn", stop_grace_s=0.2),  # ignores SIGTERM: killed after 0.2 s
        listener("cut", ports[2], stop_signal=signal.SIGKILL),
    ]
    for proc in procs:
        proc.start().wait_ready()
    stop_together([*procs, None])
    assert [proc.returncode for proc in procs] == [-signal.SIGTERM, -signal.SIGKILL, -signal.SIGKILL]
    assert all(wait_port_free(port) for port in ports)
