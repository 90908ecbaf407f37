"""anyio's default thread limiter: the 40 tokens that FastAPI's `def` routes, sync dependencies and
`run_in_threadpool` share, read for the probe and the watchdog alike."""

from __future__ import annotations

import contextvars
import sys
from dataclasses import dataclass
from typing import Any

from awaitbench.detect.watchdog.report import ThreadpoolUsage

__all__ = ["ThreadpoolReader", "ThreadpoolReading", "ThreadpoolTracker", "default_thread_limiter"]


@dataclass(frozen=True, kw_only=True)
class ThreadpoolReading:
    borrowed: int
    total: int
    waiting: int


def default_thread_limiter() -> Any:
    """anyio's default thread limiter of the loop running in this thread (None without anyio).

    Works from a plain loop callback as well as from a task: anyio finds its backend through sniffio,
    which sees no task in a callback, so the lookup runs in a context that names asyncio.
    """

    def lookup() -> Any:
        try:
            import sniffio

            sniffio.current_async_library_cvar.set("asyncio")
        except ImportError:  # anyio then falls back to the running asyncio loop
            pass
        import anyio.to_thread

        return anyio.to_thread.current_default_thread_limiter()

    try:
        return contextvars.copy_context().run(lookup)
    except Exception:  # no anyio, or a loop anyio does not support
        return None


class ThreadpoolReader:
    """One loop's limiter: found on the loop thread once anyio is imported, read from any thread after."""

    def __init__(self) -> None:
        self.limiter: Any = None
        self._looked_up = False

    def bind(self) -> None:
        """Call on the loop thread (each heartbeat does until it succeeds): a process that has not
        imported anyio has no limiter, and importing it here would cost the loop tens of ms."""
        if self._looked_up or "anyio" not in sys.modules:
            return
        self._looked_up = True
        self.limiter = default_thread_limiter()

    def read(self) -> ThreadpoolReading | None:
        limiter = self.limiter
        if limiter is None:
            return None
        borrowed, total = int(limiter.borrowed_tokens), int(limiter.total_tokens)
        # Only a full pool has waiters; statistics() copies the borrower set, so skip it otherwise.
        waiting = int(limiter.statistics().tasks_waiting) if borrowed >= total else 0
        return ThreadpoolReading(borrowed=borrowed, total=total, waiting=waiting)


class ThreadpoolTracker:
    """Peaks, time at saturation, and borrowed and waiting counts integrated over a watch (each reading
    stands for the time since the previous beat); fed the readings heartbeats took."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.peak_borrowed = 0
        self.total: int | None = None
        self.peak_waiting = 0
        self.saturated_s = 0.0
        self.borrowed_s = 0.0
        self.waiting_s = 0.0

    def observe(self, reading: ThreadpoolReading, elapsed_s: float) -> None:
        """`elapsed_s`: time since the previous reading of the same loop (counted if saturated)."""
        self.peak_borrowed = max(self.peak_borrowed, reading.borrowed)
        self.peak_waiting = max(self.peak_waiting, reading.waiting)
        self.total = reading.total
        self.borrowed_s += reading.borrowed * elapsed_s
        self.waiting_s += reading.waiting * elapsed_s
        if reading.borrowed >= reading.total:
            self.saturated_s += elapsed_s

    def usage(self) -> ThreadpoolUsage:
        return ThreadpoolUsage(
            peak_borrowed=self.peak_borrowed,
            total_tokens=self.total,
            peak_waiting=self.peak_waiting,
            saturated_ms=round(self.saturated_s * 1000.0, 3),
            borrowed_ms=round(self.borrowed_s * 1000.0, 3),
            waiting_ms=round(self.waiting_s * 1000.0, 3),
        )
