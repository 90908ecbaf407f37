"""The monitor thread: sleeps until a loop's alarm fires, samples where the loop is stuck, and hands what
the heartbeats queued to the listeners (at each wake: the alarm, once a second, `flush()`, `stop()`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import select
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from awaitbench.detect.watchdog.alarm import StallAlarm, open_alarm
from awaitbench.detect.watchdog.cpu import classify
from awaitbench.detect.watchdog.gc_pauses import GcPauses
from awaitbench.detect.watchdog.heartbeat import Sample, WatchedLoop
from awaitbench.detect.watchdog.loops import running_loops
from awaitbench.detect.watchdog.report import (
    COLLECTOR_FILE,
    KEPT_WAITING_FILE,
    Block,
    Frame,
    NeverAwaited,
    ResourceLeak,
)
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
_COLLECTOR = Frame(file=COLLECTOR_FILE, line=0, function="gc", user_code=False)
# Every sample at the loop's idle point (a selector's select(), Trio's get_events()): the loop had nothing
# to do, was woken and could not go on.
_WOKEN_WAITING = Frame(file=KEPT_WAITING_FILE, line=0, function="selector select()", user_code=False)
_WOKEN_CAUSE = (
    "the loop was idle in select() and, once woken, waited to run: another thread held the GIL, "
    "or the machine was short of CPU"
)
_GC_SHARE = 0.5  # a block the collector paused the loop thread for at least half of is its doing
_HELD_OFF_KEPT = 256  # recent stretches the monitor was held off (see `_run`)
_LATE_S = 0.002  # a wake-up later than due by more than this counts as held off


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
        # (from, to) stretches the monitor woke up late: it needs the GIL and a CPU to sample, so a block
        # during which it was held off has no samples there.
        self._held_off: deque[tuple[float, float]] = deque(maxlen=_HELD_OFF_KEPT)
        self._gc = GcPauses() if settings.threshold_s is not None else None

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
        if self._gc is not None:
            self._gc.start()
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
        if self._gc is not None:
            self._gc.stop()

    @contextlib.contextmanager
    def settled(self) -> Iterator[None]:
        """Settle every loop now without stopping, and hold the monitor while the body runs: what the
        listeners heard so far is complete (a loop still blocked counts as an ongoing block, and its beat
        when it comes is no sample), and nothing is heard until it ends. The pytest plugin reads each
        test's window this way from one monitor kept for the session."""
        with self._lock:
            now = time.perf_counter()
            for target in list(self._targets.values()):
                self._drain(target)
                if self._settle_overdue(target, now):
                    target.paused = True
            yield

    def restart_seen(self) -> None:
        """Count distinct loops from now on, starting with those watched right now (the others are
        forgotten, their origin tracking put back)."""
        with self._lock:
            current = set(self._targets.values())
            for target in self.watched:
                if target not in current:
                    target.restore_origin_tracking()
            self.watched = list(current)
            self._last_beat_at = {k: v for k, v in self._last_beat_at.items() if k in map(id, current)}

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
            asleep_at = time.perf_counter()
            self._sleeper.wait(wake_in, alarms)
            self._note_held_off(asleep_at, wake_in)
        if not self._stop.is_set() and self._on_exhausted is not None:
            self._on_exhausted()

    def _note_held_off(self, asleep_at: float, wake_in: float) -> None:
        """A wake-up later than the first deadline ahead when the monitor went to sleep (the timeout, or a
        loop's alarm) is a stretch it could not run: C code held the GIL, or the process was short of CPU."""
        woke = time.perf_counter()
        wake_by = asleep_at + wake_in
        stall_after = self._settings.stall_after_s
        for target in list(self._targets.values()):
            if target.alarm is not None and target.due is not None and not target.stopped:
                deadline = target.due + stall_after
                if deadline > asleep_at:  # a late loop's alarm has fired already: the timeout wakes
                    wake_by = min(wake_by, deadline)
        if woke - wake_by > _LATE_S:
            self._held_off.append((wake_by, woke))

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

    def _settle_overdue(self, target: WatchedLoop, now: float) -> bool:
        """A loop whose beat is still due when the watch stops or the loop stopped: a block if it is
        still blocked (ongoing) or was seen blocked until it stopped (measured to the last sample).
        True when a block was reported."""
        threshold = self._settings.threshold_s
        if threshold is None or target.due is None or target.stopped:
            target.samples = []
            return False
        due = target.due
        on_loop_thread = threading.get_ident() == target.thread_id  # `async with` exiting: it ends now
        running = target.loop.is_running() and not target.loop.is_closed() and not on_loop_thread
        seen_until = target.samples[-1][0] if target.samples else due  # stopped: to the last sample
        if running or on_loop_thread:
            seen_until = now
        blocked = seen_until - due >= threshold and not target.paused
        if blocked:
            if running:
                self._sample(target, now)
            self._emit_block(target, seen_until - due, due, target.samples, ongoing=running)
        target.samples = []
        return blocked

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
        block = build_block(
            target,
            duration_s,
            began_at,
            samples,
            self._classifier,
            ongoing=ongoing,
            gc_pauses=self._gc,
            held_off=tuple(self._held_off),
        )
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
    gc_pauses: GcPauses | None = None,
    held_off: Sequence[tuple[float, float]] = (),
) -> Block:
    """A block from the samples taken while a beat was late, attributed to the location where the
    samples say it spent most of its time; named as the collector's when it paused the loop thread for
    most of it; with how long the monitor could not sample (the `held_off` stretches)."""
    frames, location, share = _attribute(samples, began_at, classifier, held_off)
    cause = _collector_cause(gc_pauses, target.thread_id, began_at, duration_s)
    if cause is not None:
        location = _COLLECTOR  # the stack, when sampled, shows where the collection was triggered
    elif samples and all(_idle_in_selector(stack) for _, stack, _ in samples):
        location, cause = _WOKEN_WAITING, _WOKEN_CAUSE
    unsampled_s = _overlap(held_off, began_at, began_at + duration_s)
    running_fraction, on_cpu_fraction, readings, span_s = _cpu_fractions(samples)
    return Block(
        duration_ms=round(duration_s * 1000.0, 3),
        location=location,
        stack=frames,
        route=target.route,
        state=classify(running_fraction, readings=readings, span_share=span_s / max(duration_s, 1e-9)),
        running_fraction=running_fraction,
        on_cpu_fraction=on_cpu_fraction,
        samples=len(samples),
        location_share=round(share, 3),
        thread_name=target.thread_name,
        started_at=time.time() - (time.perf_counter() - began_at),
        ongoing=ongoing,
        cause=cause,
        unsampled_ms=round(min(unsampled_s, duration_s) * 1000.0, 3),
    )


def _attribute(
    samples: Sequence[Sample],
    began_at: float,
    classifier: FrameClassifier,
    held_off: Sequence[tuple[float, float]],
) -> tuple[tuple[Frame, ...], Frame, float]:
    """(stack, location, share of the sampled time there). Each sample stands for the time since the one
    before (the first: since the beat was due): samples of CPU-bound code come further apart, since the
    monitor waits for the GIL, so counting them would favour the parts that wait. The time the monitor was
    held off counts for none: the sample after a stretch of C code holding the GIL shows the line the
    thread went on to, not the one that held it."""
    weights: defaultdict[tuple[str, int, str], float] = defaultdict(float)
    chosen: dict[tuple[str, int, str], tuple[int, tuple[RawFrame, ...]]] = {}
    previous = began_at
    for taken_at, stack, _ in samples:
        index = innermost_user_index(stack, classifier)
        where = stack[index][:3]
        weights[where] += max(taken_at - previous - _overlap(held_off, previous, taken_at), 1e-9)
        chosen[where] = (index, stack)  # the latest sample at each location
        previous = taken_at
    if not weights:
        return (), _UNKNOWN, 0.0
    where, weight = max(weights.items(), key=lambda item: item[1])
    index, stack = chosen[where]
    frames = to_frames(stack, classifier)
    return frames, frames[index], weight / sum(weights.values())


def _idle_in_selector(stack: tuple[RawFrame, ...]) -> bool:
    """The innermost frame is the loop's idle point: a selector's `select()` (epoll, poll, select, kqueue)
    called by asyncio's `_run_once`, or Trio's `get_events()` called by its run loop. A `select()` called
    by anything else (`subprocess.run` waiting for its child) is a blocking call like any other."""
    if len(stack) < 2:
        return False
    (_, _, function, module), (_, _, caller, caller_module) = stack[-1], stack[-2]
    if module == "selectors":
        return (
            function.endswith(".select")
            and caller_module == "asyncio.base_events"
            and caller.endswith("._run_once")
        )
    return (
        module.startswith("trio._core._io_")
        and function.endswith(".get_events")
        and caller_module == "trio._core._run"
    )


def _collector_cause(
    gc_pauses: GcPauses | None, thread_id: int, began_at: float, duration_s: float
) -> str | None:
    if gc_pauses is None:
        return None
    generation, paused_s, on_cpu_s = gc_pauses.during(thread_id, began_at, began_at + duration_s)
    if paused_s < _GC_SHARE * duration_s:
        return None
    cause = f"garbage collection, generation {generation}: {paused_s * 1000.0:.0f} ms"
    if on_cpu_s < _GC_SHARE * paused_s:  # the collector waited more than it worked
        cause += (
            f", {on_cpu_s * 1000.0:.0f} ms of it on a CPU: the machine was short of CPU (or its finalizers "
            "let other threads run)"
        )
    return cause


def _overlap(stretches: Sequence[tuple[float, float]], start: float, end: float) -> float:
    """Seconds of `stretches` between `start` and `end`."""
    return sum(max(0.0, min(end, to) - max(start, from_)) for from_, to in list(stretches))


def _cpu_fractions(samples: Sequence[Sample]) -> tuple[float | None, float | None, int, float]:
    """(running, on-CPU) shares of the loop thread over the samples taken during the block (the clock is
    read only then: nothing is read while the loop is healthy), how many readings they rest on and the
    seconds those span."""
    readings = [(t, cpu) for t, _, cpu in samples if cpu is not None]
    if len(readings) < 2:
        return None, None, len(readings), 0.0
    (first_t, first), (last_t, last) = readings[0], readings[-1]
    elapsed = last_t - first_t
    if elapsed <= 0:
        return None, None, len(readings), 0.0

    def share(seconds: float) -> float:
        return round(min(max(seconds / elapsed, 0.0), 1.0), 3)

    running, on_cpu = share(last.wanted_s - first.wanted_s), share(last.on_cpu_s - first.on_cpu_s)
    return running, on_cpu, len(readings), elapsed
