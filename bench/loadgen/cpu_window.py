"""CPU time of the generator and of the server under test over the generator's own measured window."""

from __future__ import annotations

import asyncio
import resource
import time

import psutil

__all__ = ["sample_cpu_window"]


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


async def sample_cpu_window(start_s: float, end_s: float, pid: int | None) -> tuple[float, float | None]:
    """CPU utilisation (1.0 = one full core) of this process and of process `pid` between two instants.

    Args:
        start_s, end_s: the window, in `time.perf_counter()` seconds; the coroutine sleeps until each.
        pid: the server's process (its children included); None, or a process that is gone, gives None.
    """
    await asyncio.sleep(max(0.0, start_s - time.perf_counter()))
    own0, server0, t0 = _own_cpu_s(), _server_cpu_s(pid), time.perf_counter()
    await asyncio.sleep(max(0.0, end_s - time.perf_counter()))
    own1, server1, t1 = _own_cpu_s(), _server_cpu_s(pid), time.perf_counter()
    wall = max(t1 - t0, 1e-9)
    server = None if server0 is None or server1 is None else (server1 - server0) / wall
    return (own1 - own0) / wall, server
