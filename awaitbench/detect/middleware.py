"""`LoopWatchMiddleware`: the loop watchdog for staging and production, in one line."""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Callable, Sequence
from typing import Any

from awaitbench.detect.log_lines import BlockLogger
from awaitbench.detect.watchdog.app_watch import AppWatch, ASGIApp, Receive, Scope, Send
from awaitbench.detect.watchdog.config import WatchConfig
from awaitbench.detect.watchdog.errors import WatchConfigError
from awaitbench.detect.watchdog.monitor import WatchListener
from awaitbench.detect.watchdog.report import WatchReport
from awaitbench.detect.watchdog.routes import enter_request, leave_request

__all__ = ["AroundRequest", "LoopWatchMiddleware"]

AroundRequest = Callable[[Scope], contextlib.AbstractContextManager[object]]

# Production defaults: a heartbeat every 20 ms (a block reads at most 20 ms short) and no coroutine origin
# tracking (a frame walk per coroutine created).
_PRODUCTION_INTERVAL_MS = 20.0
_PRODUCTION_WATCH = WatchConfig(
    loops="current", coroutine_origin_depth=0, interval_ms=_PRODUCTION_INTERVAL_MS
)


class LoopWatchMiddleware:
    """ASGI middleware running the loop watchdog in each worker process.

    Args:
        app: the ASGI app to wrap.
        threshold_ms: a loop that does not run for this long is blocked (default 50 ms). Shorthand
            for `watch=WatchConfig(threshold_ms=..., loops="current", coroutine_origin_depth=0,
            interval_ms=20)`: a heartbeat every 20 ms (at most the threshold).
        watch: the full watch settings (`loops` must be "current" or "auto"); not with `threshold_ms`.
        logger: where block lines go (default `logging.getLogger("awaitbench.detect")`, WARNING);
            `log=False` turns logging off.
        log_every_s: at most one line per blocking location every this many seconds.
        metrics: export Prometheus metrics (None: when prometheus_client is installed).
        registry: the prometheus_client registry (default: the global one).
        namespace: the metric name prefix.
        listeners: more `WatchListener`s fed by the watch (on its monitor thread).
        around_request: a context entered around each HTTP/websocket request, inside the route tag.

    Raises:
        WatchConfigError: an invalid setting (at construction, before the app serves anything).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        threshold_ms: float | None = None,
        watch: WatchConfig | None = None,
        log: bool = True,
        logger: logging.Logger | None = None,
        log_every_s: float = 10.0,
        metrics: bool | None = None,
        registry: Any = None,
        namespace: str = "awaitbench",
        listeners: Sequence[WatchListener] = (),
        around_request: AroundRequest | None = None,
    ) -> None:
        self.app = app
        self.config = _watch_config(threshold_ms, watch)
        if not (isinstance(log_every_s, int | float) and math.isfinite(log_every_s) and log_every_s > 0):
            raise WatchConfigError(f"log_every_s must be a positive number of seconds, got {log_every_s!r}")
        listening = list(listeners)
        if log:
            listening.append(BlockLogger(logger, every_s=log_every_s))
        if metrics or metrics is None:
            from awaitbench.detect import metrics as prometheus

            if metrics or prometheus.available():
                listening.append(prometheus.PrometheusMetrics(registry=registry, namespace=namespace))
        self._around = around_request
        self._watching = AppWatch(self.config, listening)

    @property
    def loop_thread_id(self) -> int | None:
        """The native id of the thread serving the app (None before the first ASGI call)."""
        return self._watching.loop_thread_id

    def current_stall_ms(self) -> float:
        """How long the app's loop has been unresponsive right now (0 when healthy or not watched)."""
        watch = self._watching.watch
        return watch.current_stall_ms() if watch is not None else 0.0

    def flush(self) -> None:
        """Hand what the loop queued since the monitor last woke (lag samples, threadpool readings) to
        the listeners now: the monitor sleeps while the loop is healthy and delivers them once a second."""
        watch = self._watching.watch
        if watch is not None:
            watch.flush()

    def watching(self) -> bool:
        """The loop is being watched right now (False before the first ASGI call, or if the monitor died)."""
        watch = self._watching.watch
        return watch is not None and watch.monitoring()

    def report(self) -> WatchReport | None:
        """What this process's watch saw so far (None before the first request)."""
        watch = self._watching.watch
        return watch.report() if watch is not None else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self._watching.ensure()
        kind = scope["type"]
        if kind == "lifespan":
            await self.app(scope, receive, self._watching.stop_on_shutdown(send))
            return
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        entered = enter_request(scope)
        try:
            if self._around is None:
                await self.app(scope, receive, send)
            else:
                with self._around(scope):
                    await self.app(scope, receive, send)
        finally:
            leave_request(entered)


def _watch_config(threshold_ms: float | None, watch: WatchConfig | None) -> WatchConfig:
    if watch is not None and threshold_ms is not None:
        raise WatchConfigError("pass threshold_ms or watch=WatchConfig(...), not both")
    if watch is None:
        if threshold_ms is None:
            return _PRODUCTION_WATCH
        interval = min(_PRODUCTION_INTERVAL_MS, threshold_ms)
        return WatchConfig(
            threshold_ms=threshold_ms, loops="current", coroutine_origin_depth=0, interval_ms=interval
        )
    if watch.loops == "all":
        raise WatchConfigError(
            "the middleware watches its own process's loop: "
            "use loops='current' (or 'auto') in its WatchConfig"
        )
    return watch
