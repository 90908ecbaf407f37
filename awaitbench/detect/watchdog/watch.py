"""`watch_loop()`: watch event loops for a stretch of code and get a `WatchReport`."""

from __future__ import annotations

import asyncio
import re
import sys
import threading
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any

from awaitbench.detect.watchdog.config import WatchConfig
from awaitbench.detect.watchdog.errors import WatchConfigError
from awaitbench.detect.watchdog.groups import BlockLog
from awaitbench.detect.watchdog.heartbeat import WatchedLoop
from awaitbench.detect.watchdog.lag import LagHistogram
from awaitbench.detect.watchdog.leaks import TaskLeaks, ThreadLeaks
from awaitbench.detect.watchdog.monitor import Monitor, MonitorSettings, WatchListener
from awaitbench.detect.watchdog.report import (
    Block,
    BlockGroup,
    BlockingCall,
    LagSummary,
    LeakedTask,
    LeakedThread,
    NeverAwaited,
    ResourceLeak,
    ThreadpoolUsage,
    WatchReport,
)
from awaitbench.detect.watchdog.stacks import FrameClassifier
from awaitbench.detect.watchdog.strict import StrictRecorder
from awaitbench.detect.watchdog.threadpool import ThreadpoolReading, ThreadpoolTracker
from awaitbench.detect.watchdog.warnings_capture import WarningsCapture

__all__ = ["LoopWatch", "watch_loop"]


def watch_loop(config: WatchConfig | None = None, /, **settings: Any) -> LoopWatch:
    """A watch to use as `with` or `async with`: `watch_loop(threshold_ms=100)` or
    `watch_loop(WatchConfig(...))`. Keyword settings are `WatchConfig`'s fields.

    Raises:
        WatchConfigError: a setting is invalid, or both a config and settings were given.
    """
    if config is not None and settings:
        raise WatchConfigError(
            f"pass either a WatchConfig or keyword settings, not both (got {sorted(settings)})"
        )
    if config is None:
        try:
            config = WatchConfig(**settings)
        except TypeError as exc:
            raise WatchConfigError(f"{exc}: the settings are WatchConfig's fields") from exc
    return LoopWatch(config)


class LoopWatch(WatchListener):
    """A running (or finished) watch. Extra listeners see every event as it happens."""

    def __init__(self, config: WatchConfig, *, listeners: Sequence[WatchListener] = ()) -> None:
        self.config = config
        self._classifier = FrameClassifier(config.frames)
        self._extra = tuple(listeners)
        self._log = BlockLog(max_blocks=config.max_blocks)
        self._lag = LagHistogram()
        self._threadpool = ThreadpoolTracker()
        self._lock = threading.Lock()
        self._never_awaited: list[NeverAwaited] = []
        self._resource_warnings: list[ResourceLeak] = []
        self._blocking_calls: list[BlockingCall] = []
        self._monitor: Monitor | None = None
        self._warnings: WarningsCapture | None = None
        self._task_leaks: TaskLeaks | None = None
        self._thread_leaks: ThreadLeaks | None = None
        self._leaked_tasks: tuple[LeakedTask, ...] = ()
        self._leaked_threads: tuple[LeakedThread, ...] = ()
        self._unlisten: list[Callable[[], None]] = []
        self._started_at: float | None = None
        self._final: WatchReport | None = None
        self._stopping = threading.Lock()
        self._caller = (0, 0)

    # -- lifecycle -----------------------------------------------------------------------------------
    def start(self) -> LoopWatch:
        if self._started_at is not None:
            raise WatchConfigError("this watch was already started: create a new one with watch_loop()")
        config = self.config
        loop = self._loop_to_watch()
        if config.capture_warnings:
            self._warnings = WarningsCapture(
                self._classifier,
                on_never_awaited=self.on_never_awaited,
                on_resource_warning=self.on_resource_warning,
            )
            self._warnings.start()
        self._start_leaks_and_strict()
        # Origin tracking is per thread and a closed loop cannot be asked to undo it: remember this
        # thread's setting (pytest-asyncio's loop runs here) and put it back at stop.
        self._caller = (threading.get_ident(), sys.get_coroutine_origin_tracking_depth())
        self._started_at = time.perf_counter()
        if config.monitor:
            self._monitor = Monitor(
                MonitorSettings(
                    threshold_s=config.threshold_s if config.sample_blocks else None,
                    interval_s=config.interval_s,
                    discover=loop is None,
                ),
                (self, *self._extra),
                self._classifier,
                on_bind=self._bind,
                on_exhausted=self.stop,
            )
            if loop is not None:
                self._monitor.attach(loop)
            self._monitor.start()
        elif loop is not None:
            self._bind_loop(loop)
        return self

    def stop(self) -> WatchReport:
        """Stop watching (idempotent) and return the final report."""
        with self._stopping:  # the caller, or the monitor thread when the watched loop closed
            if self._final is None:
                if self._started_at is None:
                    raise WatchConfigError("this watch was never started: use it as `with watch_loop():`")
                if self._monitor is not None:
                    self._monitor.stop()
                for unlisten in self._unlisten:
                    unlisten()
                if self._task_leaks is not None:
                    self._leaked_tasks = self._task_leaks.check()
                if self._thread_leaks is not None:
                    self._leaked_threads = self._thread_leaks.check()
                if self._warnings is not None:
                    self._warnings.stop()
                thread_id, depth = self._caller
                if threading.get_ident() == thread_id:
                    sys.set_coroutine_origin_tracking_depth(depth)
                self._final = self._build_report()
            return self._final

    # -- windows: one watch read stretch by stretch (the pytest plugin: test by test) ----------------
    def start_window(self) -> None:
        """Forget what was seen so far: the next `end_window()` reports from now.

        Raises:
            WatchConfigError: the watch is not running.
        """
        with self._running_monitor().settled():
            self._reset_window()

    def end_window(self) -> WatchReport:
        """What was seen since the window started (blocks that ended by now included; a loop still
        blocked counts as an ongoing block), then a new window from now.

        Raises:
            WatchConfigError: the watch is not running.
        """
        with self._running_monitor().settled():
            report = self._build_report()
            self._reset_window()
        return report

    def _running_monitor(self) -> Monitor:
        if self._monitor is None or self._final is not None:
            raise WatchConfigError(
                "windows are read from a running watch: start it first, and not after stop()"
            )
        return self._monitor

    def _reset_window(self) -> None:
        """Called with the monitor's checks held (`Monitor.settled`): no listener call runs meanwhile."""
        self._log = BlockLog(max_blocks=self.config.max_blocks)
        self._lag.reset()
        self._threadpool.reset()
        with self._lock:
            self._never_awaited, self._resource_warnings = [], []
        self._started_at = time.perf_counter()
        assert self._monitor is not None
        self._monitor.restart_seen()

    def flush(self) -> None:
        """Hand what the loops queued since the monitor last woke (lag samples, threadpool readings,
        blocks that ended) to the listeners now, on this thread."""
        if self._monitor is not None and self._final is None:
            self._monitor.flush()

    def _start_leaks_and_strict(self) -> None:
        config = self.config
        if "tasks" in config.leaks:
            self._task_leaks = TaskLeaks(self._classifier)
        if "threads" in config.leaks:
            from awaitbench.detect.watchdog.audit import listen_thread_starts

            self._thread_leaks = ThreadLeaks(self._classifier, ignore=_pool_thread)
            self._thread_leaks.start()
            self._unlisten.append(listen_thread_starts(self._thread_leaks.on_thread_start))
        if config.strict:
            from awaitbench.detect.watchdog.audit import listen_blocking_calls

            recorder = StrictRecorder(
                self._classifier, allow=config.strict_allow, scope=config.strict_scope, on_call=self._on_call
            )
            self._unlisten.append(listen_blocking_calls(recorder))

    def _bind(self, target: WatchedLoop) -> None:
        """On a loop's thread, at its first beat."""
        self._bind_loop(target.loop)
        if self.config.capture_warnings and self.config.coroutine_origin_depth:
            target.set_origin_tracking(self.config.coroutine_origin_depth)

    def _bind_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._task_leaks is not None:
            self._task_leaks.bind(loop)

    def _loop_to_watch(self) -> asyncio.AbstractEventLoop | None:
        """The loop of the calling thread to attach now; None: find loops in every thread."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        mode = self.config.loops
        if mode == "current" and loop is None:
            raise WatchConfigError(
                "loops='current' needs an event loop running in this thread: enter the watch from async "
                "code, or use loops='all' to find the loops of every thread"
            )
        return None if mode == "all" else loop

    def __enter__(self) -> LoopWatch:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> LoopWatch:
        return self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- what it saw -----------------------------------------------------------------------------------
    def monitoring(self) -> bool:
        """The watch's monitor thread is running: its figures are live."""
        return self._monitor is not None and self._monitor.alive

    def current_stall_ms(self) -> float:
        """How long a watched loop has been unresponsive right now (0 when every loop answered)."""
        return self._monitor.current_stall_s() * 1000.0 if self._monitor is not None else 0.0

    def report(self) -> WatchReport:
        """The final report once stopped; a snapshot so far while running."""
        if self._final is not None:
            return self._final
        self.flush()
        return self._build_report()

    @property
    def blocks(self) -> tuple[Block, ...]:
        return self.report().blocks

    @property
    def groups(self) -> tuple[BlockGroup, ...]:
        return self.report().groups

    @property
    def threadpool(self) -> ThreadpoolUsage:
        return self.report().threadpool

    @property
    def threadpool_peak(self) -> int:
        return self.report().threadpool_peak

    @property
    def never_awaited(self) -> tuple[NeverAwaited, ...]:
        return self.report().never_awaited

    @property
    def resource_warnings(self) -> tuple[ResourceLeak, ...]:
        return self.report().resource_warnings

    @property
    def lag(self) -> LagSummary:
        return self.report().lag

    def _build_report(self) -> WatchReport:
        with self._lock:
            never_awaited, resources = tuple(self._never_awaited), tuple(self._resource_warnings)
            blocking_calls = tuple(self._blocking_calls)
        started_at = self._started_at if self._started_at is not None else time.perf_counter()
        return WatchReport(
            threshold_ms=self.config.threshold_ms,
            watched_ms=round((time.perf_counter() - started_at) * 1000.0, 3),
            loops_watched=self._monitor.loops_seen if self._monitor is not None else 0,
            blocks=self._log.blocks(),
            blocks_dropped=self._log.dropped,
            groups=self._log.groups(),
            threadpool=self._threadpool.usage(),
            never_awaited=never_awaited,
            resource_warnings=resources,
            lag=self._lag.summary(),
            leaked_tasks=self._leaked_tasks,
            leaked_threads=self._leaked_threads,
            blocking_calls=blocking_calls,
        )

    # -- listener (the monitor thread, and the warnings hooks) ----------------------------------------
    def on_lag(self, lag_s: float) -> None:
        self._lag.record(lag_s)

    def on_block(self, block: Block) -> None:
        self._log.add(block)

    def on_threadpool(self, reading: ThreadpoolReading, elapsed_s: float) -> None:
        self._threadpool.observe(reading, elapsed_s)

    def on_never_awaited(self, item: NeverAwaited) -> None:
        with self._lock:
            if len(self._never_awaited) < self.config.max_blocks:  # bounded, like the blocks
                self._never_awaited.append(item)
        for listener in self._extra:
            listener.on_never_awaited(item)

    def _on_call(self, item: BlockingCall) -> None:
        with self._lock:
            if len(self._blocking_calls) < self.config.max_blocks:
                self._blocking_calls.append(item)

    def on_resource_warning(self, item: ResourceLeak) -> None:
        with self._lock:
            if len(self._resource_warnings) < self.config.max_blocks:
                self._resource_warnings.append(item)
        for listener in self._extra:
            listener.on_resource_warning(item)


_POOL_THREAD = re.compile(r"asyncio_\d+")


def _pool_thread(thread: threading.Thread) -> bool:
    """A worker of a loop's default executor: the loop owns it and shuts it down when it closes."""
    return bool(_POOL_THREAD.fullmatch(thread.name))
