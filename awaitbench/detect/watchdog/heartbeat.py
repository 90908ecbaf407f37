"""One watched loop: a heartbeat the loop schedules for itself, and what the monitor keeps of it.

The beat (`call_later(interval)`, re-scheduled by itself) measures its own lateness on the loop thread,
reads anyio's limiter, queues both for the monitor and pushes the loop's alarm forward. A loop found in
another thread is first asked with `call_soon_threadsafe`. docs/detect.md, *How it works*.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
import time
from collections import deque
from collections.abc import Callable

from awaitbench.detect.watchdog.alarm import StallAlarm
from awaitbench.detect.watchdog.cpu import CpuTimes, ThreadCpuClock
from awaitbench.detect.watchdog.stacks import RawFrame
from awaitbench.detect.watchdog.threadpool import ThreadpoolReader, ThreadpoolReading

__all__ = ["Beat", "Sample", "WatchedLoop"]

Sample = tuple[float, tuple[RawFrame, ...], CpuTimes | None]
"""(perf_counter time, the loop thread's stack, its CPU times) taken while the loop was late."""

Beat = tuple[float, float | None, ThreadpoolReading | None]
"""(perf_counter time the beat ran, how late it was: None after a pause, the threadpool unless idle and
unchanged)."""

_MAX_QUEUED_BEATS = 50_000  # a monitor that cannot run for minutes loses the oldest lag samples


class WatchedLoop:
    """One loop under watch. The loop thread writes `due`, `last_beat` and `beats`; the monitor reads
    them and keeps `samples` and `route` of a late loop.

    Args:
        loop: the loop.
        thread_id: the thread it runs in.
        interval_s: time between beats (a block reads at most this much short).
        stall_after_s: how late a beat must be before the monitor samples the stack.
        alarm: the loop's timer, armed by each beat (None: the monitor polls `due`).
        on_bind: called once on the loop thread at the first beat (origin tracking, leak snapshots).
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        thread_id: int,
        *,
        interval_s: float,
        stall_after_s: float,
        alarm: StallAlarm | None,
        on_bind: Callable[[WatchedLoop], None] | None = None,
    ) -> None:
        self.loop = loop
        self.thread_id = thread_id
        names = {thread.ident: thread.name for thread in threading.enumerate()}
        self.thread_name = names.get(thread_id, f"thread-{thread_id}")
        self.cpu = ThreadCpuClock(thread_id)
        self.threadpool = ThreadpoolReader()
        self.alarm = alarm
        self._interval_s = interval_s
        self._arm_after_s = interval_s + stall_after_s
        self._on_bind = on_bind
        self.bound = False
        self.stopped = False
        self.paused = False  # set by the monitor when it saw the loop stopped: the next beat is no sample
        self.due: float | None = None  # when the next beat is due (perf_counter); None: not started
        self.beats: deque[Beat] = deque(maxlen=_MAX_QUEUED_BEATS)
        self.samples: list[Sample] = []
        self.route: str | None = None
        self.previous_origin_depth: int | None = None
        self._last_reading: ThreadpoolReading | None = None

    # -- starting ----------------------------------------------------------------------------------
    def start_here(self) -> None:
        """Start beating, called on the loop thread (the loop need not be running yet)."""
        self.due = time.perf_counter()
        self._beat()

    def start_from_afar(self, now: float, stall_after_s: float) -> bool:
        """Ask the loop for its first beat from another thread; False when the loop is closed."""
        self.due = now
        try:
            self.loop.call_soon_threadsafe(self._beat)
        except RuntimeError:  # closed between the check and the call
            return False
        if self.alarm is not None:
            self.alarm.arm(stall_after_s)
        return True

    # -- the beat (loop thread) --------------------------------------------------------------------
    def _beat(self) -> None:
        now = time.perf_counter()
        if self.stopped:
            return
        if not self.bound:
            self._bind()
        if self.threadpool.limiter is None:
            self.threadpool.bind()
        late: float | None = None
        if self.paused:
            self.paused = False
        elif self.due is not None:
            late = max(now - self.due, 0.0)
        reading = self.threadpool.read() if self.threadpool.limiter is not None else None
        if reading is not None and reading == self._last_reading and reading.borrowed == 0:
            reading = None  # an idle pool, unchanged: nothing to tell
        else:
            self._last_reading = reading
        self.beats.append((now, late, reading))
        self.due = now + self._interval_s
        if self.alarm is not None:
            with contextlib.suppress(OSError):  # closed by a stop on another thread
                self.alarm.arm(self._arm_after_s)
        self.loop.call_later(self._interval_s, self._beat)

    def _bind(self) -> None:
        self.bound = True
        if self._on_bind is not None:
            self._on_bind(self)

    # -- the monitor's view ------------------------------------------------------------------------
    def overdue(self, now: float) -> float:
        """How long the next beat has been due (negative while it is not yet due)."""
        due = self.due
        return now - due if due is not None else 0.0

    def stop(self) -> None:
        """Stop beating (the next beat does nothing) and release the alarm."""
        self.stopped = True
        if self.alarm is not None:
            self.alarm.close()

    def set_origin_tracking(self, depth: int) -> None:
        """On the loop thread: coroutine origin tracking at `depth` (the setting is per thread)."""
        if depth:
            self.previous_origin_depth = sys.get_coroutine_origin_tracking_depth()
            if depth > self.previous_origin_depth:
                sys.set_coroutine_origin_tracking_depth(depth)

    def restore_origin_tracking(self) -> None:
        """Undo `set_origin_tracking`, on the loop thread (directly when called from it, else through
        the loop if it still runs: a finished portal thread takes its setting with it)."""
        previous, self.previous_origin_depth = self.previous_origin_depth, None
        if previous is None:
            return
        if threading.get_ident() == self.thread_id:
            sys.set_coroutine_origin_tracking_depth(previous)
            return
        if self.loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(sys.set_coroutine_origin_tracking_depth, previous)
