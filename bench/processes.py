"""The children of `awaitbench run`, `perf`, `diagnose` and `demo`: started with a log file, ready-checked,
read over HTTP, stopped together, never orphaned (docs/bench.md, "Child processes", says why each
guarantee)."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import pwd
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from bench.errors import ProcessFailed

__all__ = [
    "ManagedProcess",
    "ProcessSpec",
    "SchedPolicy",
    "awaitbench_argv",
    "free_port",
    "free_ports",
    "http_json",
    "resolve_sched",
    "scheduled",
    "stop_all",
    "stop_in_background",
    "stop_together",
    "wait_port_free",
]

_PR_SET_PDEATHSIG = 1
_FIFO_PRIORITY = 10
_POLL_S = 0.05
_PORT_FLOOR = 20000  # above the registered services a developer's machine runs
_PORT_TRIES = 50
# How a child is scheduled: "fifo" = SCHED_FIFO (`chrt -f`, needs root or RLIMIT_RTPRIO; the kernel still
# keeps 5 % of each core for everything else), "nice" = niceness -10, "normal" as is, "auto" = fifo when
# allowed, else nice. Load generators and the servers of `awaitbench perf` use it: on a shared machine
# other processes preempt them for milliseconds at a time, which would be measured as latency.
SchedPolicy = Literal["auto", "fifo", "nice", "normal"]
_LIVE: set[ManagedProcess] = set()


def free_port(host: str = "127.0.0.1") -> int:
    """A free port on `host` below the kernel's ephemeral range, so no outbound connection (a load
    generator's thousands) takes it before the child binds it; the kernel's pick when none is free."""
    low = _ephemeral_low()
    for _ in range(_PORT_TRIES):
        port = random.randrange(_PORT_FLOOR, low) if low > _PORT_FLOOR else 0
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0


def free_ports(count: int) -> list[int]:
    """`count` distinct free ports on 127.0.0.1 (one child's port is never handed to another)."""
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port not in ports:
            ports.append(port)
    return ports


def wait_port_free(port: int, host: str = "127.0.0.1", timeout_s: float = 5.0) -> bool:
    """True once nothing accepts connections on `port` (used by tests that check for held ports)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not _accepts(host, port):
            return True
        time.sleep(_POLL_S)
    return False


def _accepts(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


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


def http_json(
    url: str,
    *,
    method: str = "GET",
    body: str | None = None,
    timeout_s: float = 5.0,
    child: ManagedProcess | None = None,
) -> Any:
    """A child's JSON answer (`body`, when given, is sent as JSON).

    Raises:
        ProcessFailed: no answer within `timeout_s`, a refused connection, an HTTP error or an answer that is
            not JSON; the message names the URL, and carries `child`'s log tail when given.
    """
    data = body.encode() if body is not None else (b"" if method == "POST" else None)
    request = urllib.request.Request(url, method=method, data=data)
    if body is not None:
        request.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return json.loads(response.read() or b"{}")
    except (OSError, ValueError) as exc:
        tail = child.log_tail() if child is not None else ""
        raise ProcessFailed(f"{method} {url} failed ({type(exc).__name__}: {exc})", stderr_tail=tail) from exc


@dataclass(frozen=True, kw_only=True)
class ProcessSpec:
    """What to start, how to know it is ready, and how to stop it.

    Args:
        name: label used in messages and temporary log names ("fake_llm", "app", "the app").
        argv: the command line.
        env: extra environment variables, layered over this process's environment.
        ready_url: `http://...` that must answer 200, or `tcp://host:port` that must accept a connection
            (an app with no known route), before the child counts as ready; None = no check.
        ready_timeout_s: how long readiness may take before the start counts as failed.
        log_path: where stdout+stderr go; a temporary file when None.
        cpu_affinity: CPU ids to pin the child to (e.g. to make one-core ceilings comparable).
        stop_signal: what `stop` sends the process group first (SIGKILL: nothing to save).
        stop_grace_s: how long `stop` waits after `stop_signal` before SIGKILL.
        user: the OS user the child runs as (needs root; a server that refuses to run as root, such as
            PostgreSQL); None = this process's user.
    """

    name: str
    argv: Sequence[str]
    env: Mapping[str, str] = field(default_factory=dict)
    ready_url: str | None = None
    ready_timeout_s: float = 20.0
    log_path: Path | None = None
    cpu_affinity: Sequence[int] | None = None
    stop_signal: int = signal.SIGTERM
    stop_grace_s: float = 5.0
    user: str | None = None


def _preexec(cpu_affinity: Sequence[int] | None) -> None:
    # Runs in the child between fork and exec: die with the parent, optionally pin to CPUs.
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if cpu_affinity:
        os.sched_setaffinity(0, set(cpu_affinity))


def _primary_group(user: str | None) -> int | None:
    return None if user is None else pwd.getpwnam(user).pw_gid


def _reap(popen: subprocess.Popen[bytes], timeout_s: float) -> bool:
    """Wait up to `timeout_s` for `popen` to exit and reap it; True once it has.

    Not `Popen.wait`: a Ctrl-C inside it, just after it took its `_waitpid_lock`, leaves the lock held, and
    from then on every `wait`/`poll` says "running" even for a dead child, exactly when it must be reaped.
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


def _answers(url: str) -> bool:
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme == "tcp":
        return _accepts(parsed.hostname or "127.0.0.1", parsed.port or 0)
    try:
        with urllib.request.urlopen(url, timeout=1.0) as response:
            return bool(response.status == 200)
    except (OSError, ValueError):
        return False


class ManagedProcess:
    """A child in its own process group, with readiness check and guaranteed teardown (a context manager:
    started and ready on entry, stopped on exit)."""

    def __init__(self, spec: ProcessSpec) -> None:
        self.spec = spec
        self._popen: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None
        self.log_path: Path = spec.log_path or Path(
            tempfile.mkstemp(prefix=f"awaitbench-{spec.name.replace(' ', '_')}-", suffix=".log")[1]
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
        self._log_file = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        affinity = self.spec.cpu_affinity
        self._popen = subprocess.Popen(
            list(self.spec.argv),
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            env={**os.environ, **self.spec.env},
            start_new_session=True,
            preexec_fn=lambda: _preexec(affinity),
            # The uid changes before `preexec_fn` runs, so the parent-death signal survives it.
            user=self.spec.user,
            group=_primary_group(self.spec.user),
            extra_groups=None if self.spec.user is None else [],
        )
        _LIVE.add(self)
        return self

    def wait_ready(self) -> ManagedProcess:
        """Block until `ready_url` answers.

        Raises:
            ProcessFailed: the child exited first, or was not ready within `ready_timeout_s` (log tail
                attached).
        """
        url = self.spec.ready_url
        if url is None:
            return self
        deadline = time.monotonic() + self.spec.ready_timeout_s
        while time.monotonic() < deadline:
            self.check_alive("while starting")
            if _answers(url):
                return self
            time.sleep(_POLL_S)
        raise ProcessFailed(
            f"{self.spec.name} was not ready at {url} within {self.spec.ready_timeout_s:g} s; "
            f"its log is {self.log_path}",
            stderr_tail=self.log_tail(),
        )

    def check_alive(self, when: str) -> None:
        """Raise ProcessFailed (with the log tail) if the child has exited; `when` ends the sentence
        ("while starting", "during the measurement")."""
        code = self.returncode
        if code is not None:
            raise ProcessFailed(
                f"{self.spec.name} exited with code {code} {when}; its log is {self.log_path}",
                stderr_tail=self.log_tail(),
            )

    def wait(self, timeout_s: float) -> int:
        """The exit code once the child ends by itself.

        Raises:
            ProcessFailed: it was still running after `timeout_s` (it is left running: `stop` ends it).
        """
        if self._popen is None:
            raise RuntimeError(f"{self.spec.name} has not been started")
        if not _reap(self._popen, timeout_s):
            raise ProcessFailed(
                f"{self.spec.name} did not finish within {timeout_s:g} s", stderr_tail=self.log_tail()
            )
        return int(self._popen.returncode)

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, *, grace_s: float | None = None) -> int | None:
        """Send `stop_signal` to the whole process group, wait up to `grace_s` (default: the spec's), then
        SIGKILL it. Idempotent; returns the exit code (None if never started)."""
        popen = self._popen
        grace = self.spec.stop_grace_s if grace_s is None else grace_s
        if popen is not None and not _reap(popen, 0.0):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(popen.pid, self.spec.stop_signal)
            if not _reap(popen, grace):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(popen.pid, signal.SIGKILL)
                _reap(popen, 5.0)  # a SIGKILLed child dies; if the kernel is slow, init reaps it later
        if popen is not None:
            # Workers of a dead leader may linger in the group; make sure none survive.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(popen.pid, signal.SIGKILL)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        _LIVE.discard(self)
        return None if popen is None else popen.returncode

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


def stop_in_background(
    procs: Iterable[ManagedProcess], *, grace_s: float | None = None
) -> list[threading.Thread]:
    """Start stopping `procs` on threads (each graceful stop takes a moment; they add up): join them."""
    threads = [threading.Thread(target=proc.stop, kwargs={"grace_s": grace_s}) for proc in procs]
    for thread in threads:
        thread.start()
    return threads


def stop_together(procs: Iterable[ManagedProcess | None], *, grace_s: float | None = None) -> None:
    """Stop every child at once and return when all are gone (None entries are skipped)."""
    live = [proc for proc in procs if proc is not None]
    for thread in stop_in_background(live, grace_s=grace_s):
        thread.join()
    for proc in live:  # a thread cannot be interrupted: make sure, in this thread, that all are gone
        proc.stop(grace_s=0.5)


def stop_all() -> None:
    """Stop every child still alive (the last line of defence of a command's `finally`)."""
    stop_together(list(_LIVE), grace_s=2.0)
