"""Garbage-collector pauses, so a block the collector caused is named as such."""

from __future__ import annotations

import gc
import threading
import time
from collections import deque
from typing import Any, NamedTuple

__all__ = ["GcPause", "GcPauses"]

_KEPT = 256
_MIN_PAUSE_S = 0.001


class GcPause(NamedTuple):
    thread_id: int
    generation: int
    started_at: float
    ended_at: float
    cpu_s: float  # the collecting thread's CPU time during it


class GcPauses:
    """Records collections while started (`start()`, `stop()`); read from any thread."""

    def __init__(self) -> None:
        self._recent: deque[GcPause] = deque(maxlen=_KEPT)
        self._running: dict[int, tuple[float, float]] = {}

    def start(self) -> None:
        gc.callbacks.append(self._callback)

    def stop(self) -> None:
        if self._callback in gc.callbacks:
            gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        now, cpu, thread_id = time.perf_counter(), time.thread_time(), threading.get_ident()
        if phase == "start":
            self._running[thread_id] = (now, cpu)
            return
        started, cpu_at_start = self._running.pop(thread_id, (None, 0.0))
        if started is not None and now - started >= _MIN_PAUSE_S:
            generation = int(info.get("generation", -1))
            self._recent.append(GcPause(thread_id, generation, started, now, cpu - cpu_at_start))

    def during(self, thread_id: int, start: float, end: float) -> tuple[int, float, float]:
        """(the oldest generation collected, seconds paused, of which on a CPU) on `thread_id` between
        `start` and `end` (a pause partly inside counts its CPU time in proportion)."""
        generation, paused, on_cpu = -1, 0.0, 0.0
        for pause in list(self._recent):
            overlap = min(end, pause.ended_at) - max(start, pause.started_at)
            if pause.thread_id == thread_id and overlap > 0:
                generation, paused = max(generation, pause.generation), paused + overlap
                on_cpu += pause.cpu_s * overlap / max(pause.ended_at - pause.started_at, 1e-9)
        return generation, paused, on_cpu
