"""CPU time of the generator, of the server under test and of each core over the measured window."""

from __future__ import annotations

import asyncio
import resource
import time
from dataclasses import dataclass

import psutil

__all__ = ["CpuWindow", "sample_cpu_window"]


@dataclass(frozen=True, kw_only=True)
class CpuWindow:
    """Utilisation over one window, 1.0 = one full core.

    Args:
        loadgen: this process (the generator).
        server: the server's process and its children; None when no pid was given or it is gone.
        core_busy: each core's share spent running any process (user, nice and system time; interrupts
            and the hypervisor's steal excluded), so a core's busy share minus what the processes pinned to
            it used is the other work that shared it.
    """

    loadgen: float
    server: float | None
    core_busy: tuple[float, ...]


def _own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _server_cpu_s(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return None
    return float(times.user + times.system + times.children_user + times.children_system)


def _core_busy_s() -> list[float]:
    return [t.user + t.nice + t.system for t in psutil.cpu_times(percpu=True)]


async def sample_cpu_window(start_s: float, end_s: float, pid: int | None) -> CpuWindow:
    """CPU utilisation of this process, of process `pid` and of each core between two instants.

    Args:
        start_s, end_s: the window, in `time.perf_counter()` seconds; the coroutine sleeps until each.
        pid: the server's process (its children included); None, or a process that is gone, gives None.
    """
    await asyncio.sleep(max(0.0, start_s - time.perf_counter()))
    own0, server0, cores0, t0 = _own_cpu_s(), _server_cpu_s(pid), _core_busy_s(), time.perf_counter()
    await asyncio.sleep(max(0.0, end_s - time.perf_counter()))
    own1, server1, cores1, t1 = _own_cpu_s(), _server_cpu_s(pid), _core_busy_s(), time.perf_counter()
    wall = max(t1 - t0, 1e-9)
    server = None if server0 is None or server1 is None else (server1 - server0) / wall
    busy = tuple(round((b - a) / wall, 3) for a, b in zip(cores0, cores1, strict=True))
    return CpuWindow(loadgen=(own1 - own0) / wall, server=server, core_busy=busy)
