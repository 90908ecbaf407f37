"""bench.processes: a child is always stopped and reaped, even when `Popen`'s own bookkeeping is wedged."""

from __future__ import annotations

import sys
import threading

import psutil

from bench.processes import ManagedProcess, ProcessSpec


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
