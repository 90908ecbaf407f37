"""The diagnosis agent: what `awaitbench.detect.serve` wraps around the user's app, without touching its code.

`DiagnoseAgent(app, watch=WatchConfig(...))` is an ASGI app. On the first ASGI call (normally the
lifespan startup) it starts the loop watchdog (`awaitbench.detect.watchdog.LoopWatch`) on the app's loop with
itself as a listener; then, for every request, it
- tags the request for the watchdog (`awaitbench.detect.watchdog.routes`), so a block names the route it
froze;
- marks the request's context for `awaitbench.detect.diagnose.deadlines`, so the timers it arms are known;
- reads the `x-awaitbench-probe` header, so the bench can find its own probe request in flight.

What the watchdog sees (blocks, threadpool peaks, never-awaited coroutines, ResourceWarnings) is kept per
phase: the bench resets it before a phase and reads it after, through `awaitbench.detect.diagnose.channel`,
which
answers from its own thread even while the loop is blocked. Nothing is logged, nothing is exported.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable

from awaitbench.detect.diagnose.deadlines import serving
from awaitbench.detect.diagnose.wire import AgentSnapshot
from awaitbench.detect.watchdog.app_watch import AppWatch, Receive, Scope, Send
from awaitbench.detect.watchdog.config import WatchConfig
from awaitbench.detect.watchdog.monitor import WatchListener
from awaitbench.detect.watchdog.report import Block, NeverAwaited, ResourceLeak
from awaitbench.detect.watchdog.routes import enter_request, leave_request
from awaitbench.detect.watchdog.threadpool import ThreadpoolReading, ThreadpoolTracker

__all__ = ["PROBE_HEADER", "DiagnoseAgent", "PhaseRecorder"]

PROBE_HEADER = b"x-awaitbench-probe"
_MAX_KEPT = 2000  # blocks, warnings: per phase; more are counted, not kept

ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class PhaseRecorder(WatchListener):
    """The watchdog's events since the last `reset()`; thread-safe (the monitor writes, the channel reads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._threadpool = ThreadpoolTracker()
        self._last_reading: ThreadpoolReading | None = None
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._blocks: list[Block] = []
            self._dropped = 0
            self._never_awaited: list[NeverAwaited] = []
            self._resources: list[ResourceLeak] = []
            self._threadpool.reset()
            if self._last_reading is not None:  # the monitor reports changes only: start from the present
                self._threadpool.observe(self._last_reading, 0.0)
            self._reset_at = time.monotonic()

    def on_block(self, block: Block) -> None:
        with self._lock:
            if len(self._blocks) < _MAX_KEPT:
                self._blocks.append(block)
            else:
                self._dropped += 1

    def on_threadpool(self, reading: ThreadpoolReading, elapsed_s: float) -> None:
        with self._lock:
            self._last_reading = reading
            self._threadpool.observe(reading, elapsed_s)

    def on_never_awaited(self, item: NeverAwaited) -> None:
        with self._lock:
            if len(self._never_awaited) < _MAX_KEPT:
                self._never_awaited.append(item)

    def on_resource_warning(self, item: ResourceLeak) -> None:
        with self._lock:
            if len(self._resources) < _MAX_KEPT:
                self._resources.append(item)

    def snapshot(self, *, loop_thread_id: int | None, stall_ms: float, threshold_ms: float) -> AgentSnapshot:
        import os

        with self._lock:
            return AgentSnapshot(
                pid=os.getpid(),
                loop_thread_id=loop_thread_id,
                since_reset_s=round(time.monotonic() - self._reset_at, 3),
                blocks=tuple(self._blocks),
                blocks_dropped=self._dropped,
                threadpool=self._threadpool.usage(),
                never_awaited=tuple(self._never_awaited),
                resource_warnings=tuple(self._resources),
                current_stall_ms=round(stall_ms, 3),
                threshold_ms=threshold_ms,
            )


class DiagnoseAgent:
    """ASGI wrapper: watchdog on the app's loop, requests tagged, per-phase evidence kept.

    Args:
        app: the user's ASGI app, unchanged.
        watch: the watchdog's settings (`loops` must be "current": the agent watches its own loop).
    """

    def __init__(self, app: ASGIApp, *, watch: WatchConfig) -> None:
        self.app = app
        self.config = watch
        self.recorder = PhaseRecorder()
        self._watching = AppWatch(self.config, (self.recorder,))
        self.loop_thread_id: int | None = None

    def stall_ms(self) -> float:
        """How long the loop has been unresponsive right now (the monitor's view)."""
        monitor = getattr(self._watching.watch, "_monitor", None)
        return monitor.current_stall_s() * 1000.0 if monitor is not None else 0.0

    def snapshot(self) -> AgentSnapshot:
        return self.recorder.snapshot(
            loop_thread_id=self.loop_thread_id,
            stall_ms=self.stall_ms(),
            threshold_ms=self.config.threshold_ms,
        )

    def _ensure_watching(self) -> None:
        if self._watching.ensure():
            self.loop_thread_id = threading.get_native_id()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self._ensure_watching()
        kind = scope["type"]
        if kind == "lifespan":
            await self.app(scope, receive, self._watching.stop_on_shutdown(send))
            return
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        probe = next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k == PROBE_HEADER), "")
        entered = enter_request(scope)
        try:
            with serving(str(scope.get("method", "")), str(scope.get("path", "")), probe):
                await self.app(scope, receive, send)
        finally:
            leave_request(entered)
