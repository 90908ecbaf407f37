"""CPU, memory and file descriptors of a process tree over a window, from psutil (never blocked by the app).

Why a tree: uvicorn with `--workers` and Locust with `--processes` fork children; the parent alone would
show almost nothing. Why per-process peaks: Locust and fake_llm are single-threaded event loops, so
"ran out of CPU" means one process near 100% of one core, whatever the tree's total.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

import psutil

__all__ = ["TreeSample", "TreeTracker", "WindowCpu", "machine_cpu_percent"]


@dataclass(frozen=True, kw_only=True)
class TreeSample:
    """Resources held by a process tree at one instant."""

    rss_mb: float
    open_fds: int
    threads: int
    processes: int


@dataclass(frozen=True, kw_only=True)
class WindowCpu:
    """CPU of a process tree between `start()` and `finish()`."""

    cpu_seconds: float
    cpu_percent: float  # the whole tree, mean over the window, 100 = one core
    # The busiest single process, mean over the window. Not a peak between two samples: psutil's CPU times
    # tick in 10 ms steps, so a 0.25 s sample of an idle process reads 0 % or 4 %, and a peak over many
    # samples reads noise as saturation.
    busiest_process_percent: float
    processes: int


def _tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def _cpu_s(proc: psutil.Process) -> float | None:
    try:
        times = proc.cpu_times()
    except psutil.Error:
        return None
    return float(times.user + times.system)


class TreeTracker:
    """Tracks one process tree's CPU over a window; call `sample()` every fraction of a second."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._start_cpu: dict[int, float] = {}
        self._last_cpu: dict[int, float] = {}
        self._last_at = 0.0
        self._started_at = 0.0
        self._seen: set[int] = set()

    def start(self) -> None:
        self._started_at = self._last_at = time.monotonic()
        for proc in _tree(self.pid):
            cpu = _cpu_s(proc)
            if cpu is not None:
                self._start_cpu[proc.pid] = self._last_cpu[proc.pid] = cpu
                self._seen.add(proc.pid)

    def sample(self) -> None:
        now = time.monotonic()
        elapsed = now - self._last_at
        if elapsed <= 0:
            return
        for proc in _tree(self.pid):
            cpu = _cpu_s(proc)
            if cpu is None:
                continue
            self._seen.add(proc.pid)
            self._start_cpu.setdefault(proc.pid, cpu)
            self._last_cpu[proc.pid] = cpu
        self._last_at = now

    def finish(self) -> WindowCpu:
        self.sample()
        window_s = max(self._last_at - self._started_at, 1e-9)
        per_process = [
            self._last_cpu[pid] - self._start_cpu.get(pid, self._last_cpu[pid]) for pid in self._last_cpu
        ]
        used = sum(per_process)
        return WindowCpu(
            cpu_seconds=round(used, 4),
            cpu_percent=round(used / window_s * 100.0, 1),
            busiest_process_percent=round(max(per_process, default=0.0) / window_s * 100.0, 1),
            processes=len(self._seen),
        )

    def resources(self) -> TreeSample:
        """RSS, fds and threads summed over the tree right now."""
        rss = 0
        fds = 0
        threads = 0
        procs = _tree(self.pid)
        for proc in procs:
            with contextlib.suppress(psutil.Error), proc.oneshot():
                rss += proc.memory_info().rss
                fds += proc.num_fds()
                threads += proc.num_threads()
        return TreeSample(rss_mb=round(rss / 2**20, 2), open_fds=fds, threads=threads, processes=len(procs))


def machine_cpu_percent() -> float:
    """System-wide CPU since the previous call, 100 = every core busy (psutil's own bookkeeping)."""
    return float(psutil.cpu_percent(interval=None))
