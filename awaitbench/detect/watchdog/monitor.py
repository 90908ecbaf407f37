"""The monitor thread: sleeps until a loop's alarm fires, samples where the loop is stuck, and hands what
the heartbeats queued to the listeners (at each wake: the alarm, once a second, `flush()`, `stop()`).

Listeners (`WatchListener`: a watch's report, the probe's histogram, the middleware's log and metrics) run
on the monitor thread or the thread calling `flush()`/`stop()`, and must be quick; an exception in one is
logged once. The design and its cost: docs/detect.md, *How it works*.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import select
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from awaitbench.detect.watchdog.alarm import StallAlarm, open_alarm
from awaitbench.detect.watchdog.cpu import classify
from awaitbench.detect.watchdog.heartbeat import Sample, WatchedLoop
from awaitbench.detect.watchdog.loops import running_loops
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

__all__ = ["Monitor", "MonitorSettings", "WatchListener", "build_block"]

_log = logging.getLogger("awaitbench.detect.watchdog")
_PERIODIC_S = 1.0
# The monitor could not sample during the stall: it needs the GIL and a CPU too, so a process starved of
# CPU, or C code holding the GIL throughout, leaves only the duration.
_UNKNOWN = Frame(
    file="<not sampled>", line=0, function="<monitor could not run: CPU or GIL starved>", user_code=False
)


class WatchListener:
    """Receives what a monitor sees; override what you need. Called on the monitor thread, or on the
    thread calling `flush()`/`stop()` (warnings: on the thread that dropped the coroutine or resource)."""

    def on_lag(self, lag_s: float) -> None:
        """One lag sample per heartbeat (every interval while the loop is healthy), delivered in batches."""

    def on_block(self, block: Block) -> None:
        """A block at or over the threshold, once it ended (or when the watch stops)."""

    def on_threadpool(self, reading: ThreadpoolReading, elapsed_s: float) -> None:
        """anyio's limiter of one loop at a beat, when it changed or a token is borrowed (an idle pool is
        told once); `elapsed_s`: since the loop's previous beat, the time the reading stands for."""

    def on_never_awaited(self, item: NeverAwaited) -> None:
        """A coroutine was garbage-collected without being awaited."""

    def on_resource_warning(self, item: ResourceLeak) -> None:
        """A ResourceWarning (unclosed client, socket, transport)."""


@dataclass(frozen=True, kw_only=True)
class MonitorSettings:
    """Args:
    threshold_s: a beat late by this much is a block (None: measure lag only, the probe).
    interval_s: time between heartbeats.
    discover: look for loops in every thread (else watch only the loops attached).
    """

    threshold_s: float | None
    interval_s: float
    discover: bool = False

    @property
    def stall_after_s(self) -> float:
        """How late a beat must be before the stack is sampled: half the threshold (at least one
        interval), so a busy but healthy loop is never sampled and a block that reaches the threshold
        has been sampled a few times."""
        return max((self.threshold_s or 0.0) / 2, self.interval_s)


class _Sleeper:
    """Where the monitor waits: for the loops' alarms, a timeout, or a wake-up from another thread."""

    def __init__(self) -> None:
        self._wake = open_alarm()
        self._lock = threading.Lock()
        self._lock.acquire()

    @property
    def has_alarms(self) -> bool:
        return self._wake is not None

    def new_alarm(self) -> StallAlarm | None:
        return open_alarm() if self._wake is not None else None

    def wait(self, timeout_s: float, alarms: Sequence[StallAlarm]) -> None:
        if self._wake is None:
            self._lock.acquire(timeout=timeout_s)
            return
        try:
            ready, _, _ = select.select([self._wake, *alarms], [], [], timeout_s)
        except (OSError, ValueError):  # an alarm closed under us: look again
            return
        for alarm in ready:
            alarm.clear()

    def wake(self) -> None:
        if self._wake is None:
            with contextlib.suppress(RuntimeError):
                self._lock.release()
        else:
            self._wake.arm(1e-6)

    def close(self) -> None:
        if self._wake is not None:
            self._wake.close()


class Monitor:
    """A daemon thread watching loops; `attach()` the caller's loop, `start()`, then `stop()`."""

    def __init__(
        self,
        settings: MonitorSettings,
        listeners: Sequence[WatchListener],
        classifier: FrameClassifier,
        *,
        on_bind: Callable[[WatchedLoop], None] | None = None,
        on_exhausted: Callable[[], object] | None = None,
    ) -> None:
        """`on_bind` runs on each loop's thread at its first beat. `on_exhausted` is called (on the
        monitor thread) when every attached loop has closed and the monitor does not discover loops:
        the watch can end itself instead of idling forever."""
        self._settings = settings
        self._on_bind = on_bind
        self._on_exhausted = on_exhausted
        self._listeners = tuple(listeners)
        self._classifier = classifier
        self._sleeper = _Sleeper()
        self._targets: dict[asyncio.AbstractEventLoop, WatchedLoop] = {}
        self.watched: list[WatchedLoop] = []  # every loop ever watched, in order
        self._lock = threading.RLock()  # the monitor thread and flush() from others
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="detect-loop-monitor", daemon=True)
        self._failed_listeners: set[int] = set()
        self._last_beat_at: dict[int, float] = {}
        self.wakes = 0  # times the thread woke (tests check a healthy loop lets it sleep)

    @property
    def loops_seen(self) -> int:
        """Distinct loops watched so far."""
        return len({id(target.loop) for target in self.watched})

    def attach(self, loop: asyncio.AbstractEventLoop) -> WatchedLoop:
        """Watch `loop`, running (or about to run) in the calling thread: it starts beating now."""
        target = self._add(loop, threading.get_ident())
        target.start_here()
        return target

    def start(self) -> Monitor:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the thread, then settle every loop: beats queued count as usual, a loop still blocked is
        reported as an ongoing block."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._sleeper.wake()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5.0)
        now = time.perf_counter()
        with self._lock:
            for target in list(self._targets.values()):
                self._drain(target)
                self._settle_overdue(target, now)
                target.stop()
            for target in self.watched:
                target.restore_origin_tracking()
        self._sleeper.close()

    def flush(self) -> None:
        """Hand the beats queued so far to the listeners, on the calling thread."""
        with self._lock:
            for target in list(self._targets.values()):
                self._drain(target)

    @property
    def alive(self) -> bool:
        """The monitor thread is running (False before `start`, after `stop`, or if it died)."""
        return self._thread.is_alive()

    def current_stall_s(self) -> float:
        """How long the most overdue loop has been late (0 when every loop is on time)."""
        now = time.perf_counter()
        return max([0.0, *(target.overdue(now) for target in list(self._targets.values()))])

    def _add(self, loop: asyncio.AbstractEventLoop, thread_id: int) -> WatchedLoop:
        settings = self._settings
        alarm = self._sleeper.new_alarm() if settings.threshold_s is not None else None
        target = WatchedLoop(
            loop,
            thread_id,
            interval_s=settings.interval_s,
            stall_after_s=settings.stall_after_s,
            alarm=alarm,
            on_bind=self._on_bind,
        )
        previous = self._targets.get(loop)
        if previous is not None:
            previous.stop()
        self._targets[loop] = target
        self.watched.append(target)
        return target

    def _run(self) -> None:
        settings = self._settings
        period = settings.interval_s + settings.stall_after_s if settings.discover else _PERIODIC_S
        next_discovery = 0.0
        while not self._stop.is_set():
            self.wakes += 1
            now = time.perf_counter()
            if settings.discover and now >= next_discovery:
                self._discover(now)
                next_discovery = now + period
            with self._lock:
                wake_in = self._tick(now, period)
            if not self._targets and not settings.discover:
                break  # every loop closed (an app's loop at shutdown, an ASGITransport test's loop)
            alarms = [t.alarm for t in self._targets.values() if t.alarm is not None and not t.stopped]
            self._sleeper.wait(wake_in, alarms)
        if not self._stop.is_set() and self._on_exhausted is not None:
            self._on_exhausted()

    def _discover(self, now: float) -> None:
        for loop, thread_id in running_loops(skip_thread=threading.get_ident()).items():
            known = self._targets.get(loop)
            if known is None or known.thread_id != thread_id:
                target = self._add(loop, thread_id)
                if not target.start_from_afar(now, self._settings.stall_after_s):
                    self._remove(target)

    def _tick(self, now: float, period: float) -> float:
        """Drain and check every loop; the seconds until the monitor must look again."""
        settings = self._settings
        wake_at = now + period
        for target in list(self._targets.values()):
            self._drain(target)
            loop = target.loop
            if loop.is_closed() or not loop.is_running():
                self._settle_overdue(target, now)
                target.paused = True  # its next beat, if it runs again, measured the pause: no sample
                # A loop attached explicitly may run again; discovered ones are found again if they do.
                if loop.is_closed() or settings.discover:
                    self._remove(target)
                continue
            if settings.threshold_s is None or target.due is None:
                continue
            overdue = target.overdue(now)
            if overdue >= settings.stall_after_s:
                self._sample(target, now)
                wake_at = min(wake_at, now + settings.interval_s)
            elif target.alarm is None:  # no alarm to wake us: look when it would be late
                wake_at = min(wake_at, now + settings.stall_after_s - overdue)
        return max(wake_at - now, 0.0)

    def _remove(self, target: WatchedLoop) -> None:
        target.stop()
        if self._targets.get(target.loop) is target:
            del self._targets[target.loop]

    def _drain(self, target: WatchedLoop) -> None:
        """The beats queued by the loop: lag samples, threadpool readings, and a block for each beat late
        by the threshold (attributed from the samples taken before it ran)."""
        threshold = self._settings.threshold_s
        beats = target.beats
        while beats:
            ran_at, late, reading = beats.popleft()
            previous = self._last_beat_at.get(id(target), ran_at)
            self._last_beat_at[id(target)] = ran_at
            if reading is not None:  # it stands for the time since the previous beat
                self._notify("on_threadpool", reading, ran_at - previous)
            if late is None:
                target.samples = [s for s in target.samples if s[0] > ran_at]
                continue
            self._notify("on_lag", late)
            mine = [s for s in target.samples if s[0] <= ran_at]
            if mine:
                target.samples = target.samples[len(mine) :]
            if threshold is not None and late >= threshold:
                self._emit_block(target, late, ran_at - late, mine, ongoing=False)

    def _settle_overdue(self, target: WatchedLoop, now: float) -> None:
        """A loop whose beat is still due when the watch stops or the loop stopped: a block if it is
        still blocked (ongoing) or was seen blocked until it stopped (measured to the last sample)."""
        threshold = self._settings.threshold_s
        if threshold is None or target.due is None or target.stopped:
            target.samples = []
            return
        due = target.due
        on_loop_thread = threading.get_ident() == target.thread_id  # `async with` exiting: it ends now
        running = target.loop.is_running() and not target.loop.is_closed() and not on_loop_thread
        seen_until = target.samples[-1][0] if target.samples else due  # stopped: to the last sample
        if running or on_loop_thread:
            seen_until = now
        if seen_until - due >= threshold and not target.paused:
            if running:
                self._sample(target, now)
            self._emit_block(target, seen_until - due, due, target.samples, ongoing=running)
        target.samples = []

    def _sample(self, target: WatchedLoop, now: float) -> None:
        stack = sample_thread(target.thread_id)
        if stack is None:
            return
        if not target.samples:
            target.route = route_of_loop(target.loop)
        target.samples.append((now, stack, target.cpu.read()))

    def _emit_block(
        self, target: WatchedLoop, duration_s: float, began_at: float, samples: list[Sample], *, ongoing: bool
    ) -> None:
        block = build_block(target, duration_s, began_at, samples, self._classifier, ongoing=ongoing)
        target.route = None
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
    target: WatchedLoop,
    duration_s: float,
    began_at: float,
    samples: Sequence[Sample],
    classifier: FrameClassifier,
    *,
    ongoing: bool,
) -> Block:
    """A block from the samples taken while a beat was late, attributed to the location where the
    samples say it spent most of its time. Each sample stands for the time since the one before (the
    first: since the beat was due): samples of CPU-bound code come further apart, since the monitor
    waits for the GIL, so counting them would favour the parts that wait."""
    weights: defaultdict[tuple[str, int, str], float] = defaultdict(float)
    chosen: dict[tuple[str, int, str], tuple[int, tuple[RawFrame, ...]]] = {}
    previous = began_at
    for taken_at, stack, _ in samples:
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
    running_fraction, on_cpu_fraction = _cpu_fractions(target, samples)
    return Block(
        duration_ms=round(duration_s * 1000.0, 3),
        location=location,
        stack=frames,
        route=target.route,
        state=classify(running_fraction),
        running_fraction=running_fraction,
        on_cpu_fraction=on_cpu_fraction,
        samples=len(samples),
        location_share=round(share, 3),
        thread_name=target.thread_name,
        started_at=time.time() - (time.perf_counter() - began_at),
        ongoing=ongoing,
    )


def _cpu_fractions(target: WatchedLoop, samples: Sequence[Sample]) -> tuple[float | None, float | None]:
    """(running, on-CPU) shares of the loop thread over the samples taken during the block (the clock is
    read only then: nothing is read while the loop is healthy); with a single sample, up to now."""
    readings = [(t, cpu) for t, _, cpu in samples if cpu is not None]
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
