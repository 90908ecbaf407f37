"""The monitor thread: notices a loop that has not run for the threshold and samples where it is stuck.

Once per interval, for each watched loop, the monitor
- reads the answer to its last canary (see `awaitbench.detect.watchdog.loops`): the wait is one lag sample,
and a
  wait of at least the threshold is a block, reported with the samples taken meanwhile;
- posts the next canary (the only cost to a healthy loop: one callback per interval);
- while a canary is unanswered, samples the loop thread's stack and CPU clock: a long block gets many
  samples and is attributed to where it spends its time;
- reads anyio's thread limiter of that loop.

Listeners receive what it sees (`WatchListener`): a watch's report, the probe's histogram, the
middleware's log and metrics. They run on the monitor thread and must be quick; an exception in one is
logged once and does not stop the monitor.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from awaitbench.detect.watchdog.cpu import classify
from awaitbench.detect.watchdog.loops import WatchedLoop, running_loops
from awaitbench.detect.watchdog.report import Block, Frame, NeverAwaited, ResourceLeak
from awaitbench.detect.watchdog.routes import route_of_loop
from awaitbench.detect.watchdog.stacks import (
    FrameClassifier,
    RawFrame,
    innermost_user_index,
    sample_thread,
    to_frames,
)
from awaitbench.detect.watchdog.threadpool import ThreadpoolReading

__all__ = ["Monitor", "MonitorSettings", "WatchListener"]

_log = logging.getLogger("awaitbench.detect.watchdog")
# The monitor could not sample during the stall: it needs the GIL and a CPU too, so a process starved of
# CPU, or C code holding the GIL throughout, leaves only the duration.
_UNKNOWN = Frame(
    file="<not sampled>", line=0, function="<monitor could not run: CPU or GIL starved>", user_code=False
)


class WatchListener:
    """Receives what a monitor sees; override what you need. Called on the monitor thread (warnings:
    on the thread that dropped the coroutine or resource)."""

    def on_lag(self, lag_s: float) -> None:
        """One lag sample per answered canary (every interval while the loop is healthy)."""

    def on_block(self, block: Block) -> None:
        """A block at or over the threshold, once it ended (or when the watch stops)."""

    def on_threadpool(self, reading: ThreadpoolReading, elapsed_s: float) -> None:
        """anyio's limiter of one loop; `elapsed_s` since that loop's previous reading."""

    def on_never_awaited(self, item: NeverAwaited) -> None:
        """A coroutine was garbage-collected without being awaited."""

    def on_resource_warning(self, item: ResourceLeak) -> None:
        """A ResourceWarning (unclosed client, socket, transport)."""


@dataclass(frozen=True, kw_only=True)
class MonitorSettings:
    """Args:
    threshold_s: a canary unanswered this long is a block (None: measure lag only, the probe).
    interval_s: time between checks.
    discover: look for loops in every thread at each check (else watch only the loops given).
    origin_depth: coroutine origin tracking to enable on each loop's thread (0: off).
    """

    threshold_s: float | None
    interval_s: float
    discover: bool = False
    origin_depth: int = 0


class Monitor:
    """A daemon thread watching loops; `start()`, then `stop()` (idempotent)."""

    def __init__(
        self,
        settings: MonitorSettings,
        listeners: Sequence[WatchListener],
        classifier: FrameClassifier,
        *,
        loops: Sequence[tuple[asyncio.AbstractEventLoop, int]] = (),
        on_exhausted: Callable[[], object] | None = None,
    ) -> None:
        """`on_exhausted` is called (on the monitor thread) when every loop given has closed and the
        monitor does not discover loops: the watch can end itself instead of idling forever."""
        self._settings = settings
        self._on_exhausted = on_exhausted
        self._listeners = tuple(listeners)
        self._classifier = classifier
        self._seen: set[int] = set()
        self._targets: dict[asyncio.AbstractEventLoop, WatchedLoop] = {}
        for loop, thread_id in loops:
            self._add(loop, thread_id)
        self._stop = threading.Event()
        # Held while running; stop() releases it. The monitor waits on it with a timeout: one C call
        # per check (an Event's wait builds a Condition waiter each time: twice the CPU on a VM).
        self._sleeper = threading.Lock()
        self._sleeper.acquire()
        self._thread = threading.Thread(target=self._run, name="detect-loop-monitor", daemon=True)
        self._failed_listeners: set[int] = set()

    @property
    def loops_seen(self) -> int:
        """Distinct loops watched so far."""
        return len(self._seen)

    def start(self) -> Monitor:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the thread, then settle every canary: answered ones count as usual, a loop still
        blocked is reported as an ongoing block."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._sleeper.release()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5.0)
        now = time.perf_counter()
        for target in list(self._targets.values()):
            if target.answered:
                self._settle(target)
            elif target.posted_at is not None:
                self._settle_unanswered(target, now)
            target.restore_origin_tracking()

    @property
    def alive(self) -> bool:
        """The monitor thread is running (False before `start`, after `stop`, or if it died)."""
        return self._thread.is_alive()

    def current_stall_s(self) -> float:
        """The longest wait of a canary still in flight (0 when every loop answered)."""
        now = time.perf_counter()
        waits = [
            now - posted
            for target in list(self._targets.values())
            if (posted := target.posted_at) is not None and not target.answered
        ]
        return max(waits, default=0.0)

    def _add(self, loop: asyncio.AbstractEventLoop, thread_id: int) -> None:
        self._targets[loop] = WatchedLoop(loop, thread_id, origin_depth=self._settings.origin_depth)
        self._seen.add(id(loop))

    def _run(self) -> None:
        interval, discover, targets = self._settings.interval_s, self._settings.discover, self._targets
        while not self._stop.is_set():
            now = time.perf_counter()
            if discover:
                self._discover()
            for loop, target in list(targets.items()):
                if not self._check(target, now):
                    del targets[loop]
            if not targets and not discover:
                break  # every loop closed (an app's loop at shutdown, an ASGITransport test's loop)
            self._sleeper.acquire(timeout=interval)
        if not self._stop.is_set() and self._on_exhausted is not None:
            self._on_exhausted()

    def _discover(self) -> None:
        for loop, thread_id in running_loops(skip_thread=threading.get_ident()).items():
            known = self._targets.get(loop)
            if known is None or known.thread_id != thread_id:
                self._add(loop, thread_id)

    def _check(self, target: WatchedLoop, now: float) -> bool:
        """One check of one loop; False when the loop is gone for good."""
        if target.answered:  # first: a loop may answer and stop between two checks
            self._settle(target)
        loop = target.loop
        if loop.is_closed() or not loop.is_running():
            if target.posted_at is not None:
                self._settle_unanswered(target, now)
            # A loop watched explicitly may run again; discovered ones are found again if they do.
            return not (loop.is_closed() or self._settings.discover)
        self._read_threadpool(target, now)
        if target.posted_at is None:
            return target.post(now)
        threshold = self._settings.threshold_s
        if threshold is not None and now - target.posted_at >= max(threshold / 2, self._settings.interval_s):
            # Half the threshold: a busy but healthy loop (callbacks waiting a few ms) is never sampled,
            # and a block that reaches the threshold has been sampled a few times by then.
            self._sample(target, now)
        return True

    def _settle(self, target: WatchedLoop) -> None:
        """An answered canary: one lag sample, and a block if it waited for the threshold."""
        assert target.posted_at is not None
        lag = target.answered_at - target.posted_at
        self._notify("on_lag", lag)
        threshold = self._settings.threshold_s
        if threshold is not None and lag >= threshold:
            self._emit_block(target, lag, ongoing=False)
        target.abandon()

    def _settle_unanswered(self, target: WatchedLoop, now: float) -> None:
        """A canary still waiting: a block if the loop is still blocked (ongoing) or was seen blocked
        until it stopped (then measured to the last sample); otherwise forgotten."""
        threshold, posted = self._settings.threshold_s, target.posted_at
        if threshold is not None and posted is not None:
            on_loop_thread = threading.get_ident() == target.thread_id  # `async with` exiting: it ends now
            running = target.loop.is_running() and not target.loop.is_closed() and not on_loop_thread
            if running or on_loop_thread:
                seen_until = now
            else:
                seen_until = target.samples[-1][0] if target.samples else posted
            if seen_until - posted >= threshold:
                if running:
                    self._sample(target, now)
                self._emit_block(target, seen_until - posted, ongoing=running)
        target.abandon()

    def _sample(self, target: WatchedLoop, now: float) -> None:
        stack = sample_thread(target.thread_id)
        if stack is None:
            return
        if not target.samples:
            target.route = route_of_loop(target.loop)
        target.samples.append((now, stack, target.cpu.read()))

    def _read_threadpool(self, target: WatchedLoop, now: float) -> None:
        reading = target.threadpool.read()
        # Listeners hear of changes, and of every reading while a token is borrowed (time at saturation,
        # borrowed and waiting counts integrated over time); an idle pool costs them nothing.
        if reading is not None and (reading != target.last_reading or reading.borrowed > 0):
            self._notify("on_threadpool", reading, now - target.last_threadpool_read)
            target.last_reading = reading
        target.last_threadpool_read = now

    def _emit_block(self, target: WatchedLoop, duration_s: float, *, ongoing: bool) -> None:
        block = build_block(target, duration_s, self._classifier, ongoing=ongoing)
        target.samples = []
        self._notify("on_block", block)

    def _notify(self, method: str, *args: object) -> None:
        for listener in self._listeners:
            try:
                getattr(listener, method)(*args)
            except Exception:
                if id(listener) not in self._failed_listeners:
                    self._failed_listeners.add(id(listener))
                    _log.exception("loop watch listener %r failed in %s (reported once)", listener, method)


def build_block(
    target: WatchedLoop, duration_s: float, classifier: FrameClassifier, *, ongoing: bool
) -> Block:
    """A block from the samples taken while a canary waited, attributed to the location where the
    samples say it spent most of its time. Each sample stands for the time since the one before (the
    first: since the canary was posted): samples of CPU-bound code come further apart, since the monitor
    waits for the GIL, so counting them would favour the parts that wait."""
    posted_at = target.posted_at or time.perf_counter()
    weights: defaultdict[tuple[str, int, str], float] = defaultdict(float)
    chosen: dict[tuple[str, int, str], tuple[int, tuple[RawFrame, ...]]] = {}
    previous = posted_at
    for taken_at, stack, _ in target.samples:
        index = innermost_user_index(stack, classifier)
        where = stack[index][:3]
        weights[where] += max(taken_at - previous, 1e-9)
        chosen[where] = (index, stack)  # the latest sample at each location
        previous = taken_at
    if weights:
        where, weight = max(weights.items(), key=lambda item: item[1])
        index, stack = chosen[where]
        frames = to_frames(stack, classifier)
        location, share = frames[index], weight / sum(weights.values())
    else:
        frames, location, share = (), _UNKNOWN, 0.0
    running_fraction, on_cpu_fraction = _cpu_fractions(target)
    return Block(
        duration_ms=round(duration_s * 1000.0, 3),
        location=location,
        stack=frames,
        route=target.route,
        state=classify(running_fraction),
        running_fraction=running_fraction,
        on_cpu_fraction=on_cpu_fraction,
        samples=len(target.samples),
        location_share=round(share, 3),
        thread_name=target.thread_name,
        started_at=time.time() - (time.perf_counter() - posted_at),
        ongoing=ongoing,
    )


def _cpu_fractions(target: WatchedLoop) -> tuple[float | None, float | None]:
    """(running, on-CPU) shares of the loop thread over the samples taken during the block (the clock is
    read only then: nothing is read while the loop is healthy); with a single sample, up to now."""
    readings = [(t, cpu) for t, _, cpu in target.samples if cpu is not None]
    if len(readings) == 1:
        now_cpu = target.cpu.read()
        if now_cpu is not None:
            readings.append((time.perf_counter(), now_cpu))
    if len(readings) < 2:
        return None, None
    (first_t, first), (last_t, last) = readings[0], readings[-1]
    elapsed = last_t - first_t
    if elapsed <= 0:
        return None, None

    def share(seconds: float) -> float:
        return round(min(max(seconds / elapsed, 0.0), 1.0), 3)

    return share(last.wanted_s - first.wanted_s), share(last.on_cpu_s - first.on_cpu_s)
