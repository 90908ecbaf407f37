"""Running or parked: whether the loop thread was computing while the loop was blocked."""

from __future__ import annotations

import threading
import time
from typing import NamedTuple

from awaitbench.detect.watchdog.report import BlockState

__all__ = ["MIN_SPAN_SHARE", "RUNNING_FRACTION", "CpuTimes", "ThreadCpuClock", "classify"]

RUNNING_FRACTION = 0.5
"""A block during which the thread was running (or runnable) at least half of the time is CPU-bound.
A computing thread shows ~1.0; a parked one ~0.0 (a sync client parsing its reply adds a few percent).
A thread waiting for the GIL is parked (it sleeps on a lock), which is what it is to the loop."""


class CpuTimes(NamedTuple):
    """A thread's cumulative seconds: wanting a CPU (on one, or runnable in the run queue) and on one."""

    wanted_s: float
    on_cpu_s: float


class ThreadCpuClock:
    """A thread's `CpuTimes`, read from any thread (None when unavailable). Without schedstat both are
    the thread's CPU time."""

    def __init__(self, thread_id: int) -> None:
        native = {t.ident: t.native_id for t in threading.enumerate()}.get(thread_id)
        self._schedstat = f"/proc/self/task/{native}/schedstat" if native is not None else None
        self._clock_id: int | None
        try:
            # Taken while the thread is known to be alive: a clock id outlives its thread harmlessly
            # (reads then fail), a pthread handle does not.
            self._clock_id = time.pthread_getcpuclockid(thread_id)
        except (AttributeError, OSError):  # no per-thread clocks here (e.g. macOS)
            self._clock_id = None
        if self._schedstat is not None and self._read_schedstat() is None:
            self._schedstat = None

    def _read_schedstat(self) -> CpuTimes | None:
        try:
            with open(self._schedstat, "rb") as stat:  # type: ignore[arg-type]
                on_cpu_ns, waiting_ns, _ = stat.read().split()
        except (OSError, ValueError):
            return None
        return CpuTimes(wanted_s=(int(on_cpu_ns) + int(waiting_ns)) / 1e9, on_cpu_s=int(on_cpu_ns) / 1e9)

    def read(self) -> CpuTimes | None:
        if self._schedstat is not None:
            times = self._read_schedstat()
            if times is not None:
                return times
        if self._clock_id is None:
            return None
        try:
            cpu = time.clock_gettime(self._clock_id)
        except OSError:  # the thread has exited
            return None
        return CpuTimes(wanted_s=cpu, on_cpu_s=cpu)


MIN_SPAN_SHARE = 0.25
"""The CPU readings (one per sample) must span at least this share of a block before it is called running
or parked: one reading, or two taken close together, say little (the same CPU-bound work read 0%, 47% and
77% parked when only one or two samples were taken)."""


def classify(running_fraction: float | None, *, readings: int = 0, span_share: float = 1.0) -> BlockState:
    """`uncertain` with one reading, or readings spanning under `MIN_SPAN_SHARE` of the block; `unknown`
    with none (no CPU clock here, or no sample)."""
    if running_fraction is None:
        return "uncertain" if readings > 0 else "unknown"
    if span_share < MIN_SPAN_SHARE:
        return "uncertain"
    return "running" if running_fraction >= RUNNING_FRACTION else "parked"
