"""The in-app harness of `awaitbench run` (the probe) and `awaitbench diagnose` (the agent).

A `Harness` is `LoopWatchMiddleware` (no log, no metrics) with a `Recorder` among its listeners: what the
watch saw since the last reset, served as JSON by `awaitbench.detect.side_channel`. docs/detect.md.
"""

from __future__ import annotations

import threading
import time
from typing import Generic, TypeVar

from pydantic import TypeAdapter

from awaitbench.detect.middleware import AroundRequest, LoopWatchMiddleware
from awaitbench.detect.watchdog.app_watch import ASGIApp
from awaitbench.detect.watchdog.config import WatchConfig
from awaitbench.detect.watchdog.monitor import WatchListener
from awaitbench.detect.watchdog.threadpool import ThreadpoolReading, ThreadpoolTracker

__all__ = ["Harness", "Recorder"]

D = TypeVar("D")


class Recorder(WatchListener, Generic[D]):
    """What a watch saw since the last `reset()`, as a document `D`; thread-safe (the monitor writes, the
    side channel reads). Keeps the threadpool's peaks; subclasses add their own evidence."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._threadpool = ThreadpoolTracker()
        self._last_reading: ThreadpoolReading | None = None
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._clear()
            self._threadpool.reset()
            if self._last_reading is not None:  # the monitor reports changes only: start from the present
                self._threadpool.observe(self._last_reading, 0.0)
            self._reset_at = time.monotonic()

    def _clear(self) -> None:
        """Drop the subclass's own evidence (called under the lock)."""

    @property
    def since_reset_s(self) -> float:
        return round(time.monotonic() - self._reset_at, 3)

    def on_threadpool(self, reading: ThreadpoolReading, elapsed_s: float) -> None:
        with self._lock:
            self._last_reading = reading
            self._threadpool.observe(reading, elapsed_s)

    def snapshot(
        self, *, stall_ms: float, loop_thread_id: int | None, threshold_ms: float, watching: bool = True
    ) -> D:
        """The evidence since the last reset, with the watch's live state (a stall in progress, whether
        the monitor runs)."""
        raise NotImplementedError


class Harness(LoopWatchMiddleware, Generic[D]):
    """`app` under the loop watch, feeding `recorder`; an ASGI app.

    Args:
        app: the app, unchanged.
        watch: the watch's settings (`loops` "current" or "auto").
        recorder: the evidence the side channel serves and resets.
        document: the `TypeAdapter` of the recorder's snapshot (its JSON).
        around_request: a context entered around each HTTP/websocket request.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        watch: WatchConfig,
        recorder: Recorder[D],
        document: TypeAdapter[D],
        around_request: AroundRequest | None = None,
    ) -> None:
        super().__init__(
            app, watch=watch, log=False, metrics=False, listeners=(recorder,), around_request=around_request
        )
        self.recorder = recorder
        self.document = document

    def reset(self) -> None:
        """Start the recorder afresh; what the loop queued before the reset is handed over first, so it
        is not counted after it."""
        self.flush()
        self.recorder.reset()

    def snapshot(self) -> D:
        self.flush()  # the lag samples and threadpool readings the loop queued since the monitor woke
        return self.recorder.snapshot(
            stall_ms=self.current_stall_ms(),
            loop_thread_id=self.loop_thread_id,
            watching=self.watching(),
            threshold_ms=self.config.threshold_ms,
        )

    def snapshot_json(self) -> bytes:
        return self.document.dump_json(self.snapshot())
