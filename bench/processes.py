"""Child processes that always go away: fake_llm, scenario apps and Locust run as managed children.

Why this exists: a benchmark that leaves a uvicorn behind holds a port and poisons the next point, and a
run interrupted with Ctrl-C must not leave orphans. Every child here
- runs in its own session (process group), so one `killpg` reaches uvicorn's workers too;
- gets `PR_SET_PDEATHSIG` on Linux, so it dies even if the orchestrator is SIGKILLed;
- is readiness-checked over HTTP before use, and its output is kept in a log file for the error message;
- is stopped by the context manager on success, failure and KeyboardInterrupt alike.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import weakref
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from bench.errors import ProcessFailed

__all__ = [
    "ManagedProcess",
    "ProcessSpec",
    "SchedPolicy",
    "awaitbench_argv",
    "free_port",
    "resolve_sched",
    "running",
    "scheduled",
    "stop_all",
    "wait_port_free",
]

_PR_SET_PDEATHSIG = 1
_FIFO_PRIORITY = 10
# How a child is scheduled: "fifo" = SCHED_FIFO (`chrt -f`, needs root or RLIMIT_RTPRIO; the kernel still
# keeps 5 % of each core for everything else), "nice" = niceness -10, "normal" as is, "auto" = fifo when
# allowed, else nice. Load generators and the servers of `awaitbench perf` use it: on a shared machine
# other processes preempt them for milliseconds at a time, which would be measured as latency.
SchedPolicy = Literal["auto", "fifo", "nice", "normal"]
_LIVE: weakref.WeakSet[ManagedProcess] = weakref.WeakSet()


def free_port(host: str = "127.0.0.1") -> int:
    """A port the kernel just handed out on `host`; free unless another process races for it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_port_free(port: int, host: str = "127.0.0.1", timeout_s: float = 5.0) -> bool:
    """True once nothing accepts connections on `port` (used by tests that check for held ports)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            if sock.connect_ex((host, port)) != 0:
                return True
        time.sleep(0.05)
    return False


def awaitbench_argv(*args: str) -> list[str]:
    """argv that runs the awaitbench CLI with this interpreter (works without the console script on PATH)."""
    return [sys.executable, "-m", "bench", *args]


def resolve_sched(sched: SchedPolicy) -> SchedPolicy:
    """ "auto" becomes "fifo" when this process may use real-time scheduling, else "nice"."""
    if sched != "auto":
        return sched
    rtprio_soft, _ = resource.getrlimit(resource.RLIMIT_RTPRIO)
    allowed = os.geteuid() == 0 or rtprio_soft == resource.RLIM_INFINITY or rtprio_soft >= _FIFO_PRIORITY
    return "fifo" if allowed and shutil.which("chrt") else "nice"


def scheduled(argv: list[str], sched: SchedPolicy) -> list[str]:
    """`argv` under the scheduling policy `sched` (already resolved by `resolve_sched`)."""
    if sched == "fifo":
        return ["chrt", "-f", str(_FIFO_PRIORITY), *argv]
    if sched == "nice":
        # Without the privilege for a negative niceness, `nice` warns and runs the command anyway.
        return ["nice", "-n", "-10", *argv]
    return argv


@dataclass(frozen=True, kw_only=True)
class ProcessSpec:
    """What to start and how to know it is ready.

    Args:
        name: short label used in messages and log file names ("fake_llm", "app", "locust").
        argv: the command line.
        env: extra environment variables, layered over this process's environment.
        ready_url: an HTTP URL that must answer 200 before the process counts as ready; None = no check.
        ready_timeout_s: how long readiness may take before the start counts as failed.
        log_path: where stdout+stderr go; a temporary file when None.
        cpu_affinity: CPU ids to pin the child to (e.g. to make one-core ceilings comparable).
    """

    name: str
    argv: Sequence[str]
    env: Mapping[str, str] = field(default_factory=dict)
    ready_url: str | None = None
    ready_timeout_s: float = 20.0
    log_path: Path | None = None
    cpu_affinity: Sequence[int] | None = None


def _preexec(cpu_affinity: Sequence[int] | None) -> None:
    # Runs in the child between fork and exec: die with the parent, optionally pin to CPUs.
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if cpu_affinity:
        os.sched_setaffinity(0, set(cpu_affinity))


def _reap(popen: subprocess.Popen[bytes], timeout_s: float) -> bool:
    """Wait up to `timeout_s` for `popen` to exit and reap it; True once it has.

    Why not `Popen.wait`: a Ctrl-C that lands inside `Popen.wait` just after it took its internal
    `_waitpid_lock` leaves that lock held, and from then on every `wait`/`poll` of that Popen times out or
    says "running", even for a child that is long dead. Exactly then (tearing down after Ctrl-C) we must
    reap it, so this calls `waitpid` itself.
    """
    deadline = time.monotonic() + timeout_s
    while popen.returncode is None:
        try:
            pid, status = os.waitpid(popen.pid, os.WNOHANG)
        except ChildProcessError:
            return True  # reaped by Popen itself meanwhile
        if pid:
            popen.returncode = os.waitstatus_to_exitcode(status)
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


class ManagedProcess:
    """A child process with readiness check and guaranteed teardown; use as a context manager."""

    def __init__(self, spec: ProcessSpec) -> None:
        self.spec = spec
        self._popen: subprocess.Popen[bytes] | None = None
        self._log_file: object | None = None
        self.log_path: Path = spec.log_path or Path(
            tempfile.mkstemp(prefix=f"awaitbench-{spec.name}-", suffix=".log")[1]
        )

    @property
    def pid(self) -> int:
        if self._popen is None:
            raise RuntimeError(f"{self.spec.name} has not been started")
        return self._popen.pid

    @property
    def returncode(self) -> int | None:
        if self._popen is None or not _reap(self._popen, 0.0):
            return None
        return self._popen.returncode

    def start(self) -> ManagedProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self._log_file = log
        env = {**os.environ, **self.spec.env}
        affinity = self.spec.cpu_affinity
        self._popen = subprocess.Popen(
            list(self.spec.argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
            preexec_fn=lambda: _preexec(affinity),
        )
        _LIVE.add(self)
        return self

    def wait_ready(self) -> ManagedProcess:
        """Block until `ready_url` answers 200; raise ProcessFailed with the log tail otherwise."""
        url = self.spec.ready_url
        if url is None:
            return self
        deadline = time.monotonic() + self.spec.ready_timeout_s
        while time.monotonic() < deadline:
            if self.returncode is not None:
                raise ProcessFailed(
                    f"{self.spec.name} exited with code {self.returncode} before it was ready",
                    stderr_tail=self.log_tail(),
                )
            try:
                with urllib.request.urlopen(url, timeout=1.0) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.05)
        raise ProcessFailed(
            f"{self.spec.name} was not ready at {url} after {self.spec.ready_timeout_s:g}s",
            stderr_tail=self.log_tail(),
        )

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, *, grace_s: float = 5.0, sig: int = signal.SIGTERM) -> int | None:
        """Signal the whole process group, wait up to `grace_s`, then SIGKILL. Idempotent."""
        popen = self._popen
        if popen is not None and not _reap(popen, 0.0):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(popen.pid, sig)
            if not _reap(popen, grace_s):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(popen.pid, signal.SIGKILL)
                _reap(popen, 5.0)  # a SIGKILLed child dies; if the kernel is slow, init reaps it later
        if popen is not None:
            # Workers of a dead leader may linger in the group; make sure none survive.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(popen.pid, signal.SIGKILL)
        if self._log_file is not None:
            self._log_file.close()  # type: ignore[attr-defined]
            self._log_file = None
        _LIVE.discard(self)
        return None if popen is None else popen.returncode

    def wait(self, timeout_s: float | None = None) -> int:
        if self._popen is None:
            raise RuntimeError(f"{self.spec.name} has not been started")
        return self._popen.wait(timeout=timeout_s)

    def __enter__(self) -> ManagedProcess:
        self.start()
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@contextlib.contextmanager
def running(spec: ProcessSpec) -> Iterator[ManagedProcess]:
    """`with running(spec) as proc:` — started, ready, and stopped on the way out."""
    with ManagedProcess(spec) as proc:
        yield proc


def stop_all() -> None:
    """Stop every child still alive (a last line of defence for interrupt handlers and atexit)."""
    for proc in list(_LIVE):
        proc.stop(grace_s=2.0)
