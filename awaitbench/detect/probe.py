"""The bench's probe: the harness in its lag-only mode (loop lag and threadpool use; no stack is sampled).

`instrument(app)` is what `awaitbench serve --probe` serves. With `AWAITBENCH_PROBE_DIR` set, each worker's
side channel writes its port to `probe-<pid>.port` there; `GET /__awaitbench/probe` (reset:
`POST /__awaitbench/probe/reset`) serves the same `LagSnapshot` from the app itself. docs/bench.md.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from pydantic import TypeAdapter

from awaitbench.detect.harness import Harness, Recorder
from awaitbench.detect.side_channel import start_side_channel, write_port_file
from awaitbench.detect.watchdog.app_watch import ASGIApp, Receive, Scope, Send
from awaitbench.detect.watchdog.config import WatchConfig
from awaitbench.detect.watchdog.lag import LagHistogram

__all__ = [
    "LAG_SNAPSHOT",
    "PROBE_DIR_ENV",
    "PROBE_PATH",
    "PROBE_WATCH",
    "LagRecorder",
    "LagSnapshot",
    "instrument",
]

PROBE_PATH = "/__awaitbench/probe"
PROBE_DIR_ENV = "AWAITBENCH_PROBE_DIR"
PROBE_WATCH = WatchConfig(
    loops="current", interval_ms=20.0, coroutine_origin_depth=0, capture_warnings=False, sample_blocks=False
)


@dataclass(frozen=True, kw_only=True)
class LagSnapshot:
    """Loop lag and threadpool use since the last reset; a stall in progress counts towards the max."""

    pid: int
    samples: int
    since_reset_s: float
    lag_p50_ms: float | None
    lag_p99_ms: float | None
    lag_max_ms: float
    current_stall_ms: float
    threadpool_busy_peak: int
    threadpool_total: int


LAG_SNAPSHOT = TypeAdapter(LagSnapshot)


class LagRecorder(Recorder[LagSnapshot]):
    """The lag histogram and the threadpool's peak since the last reset."""

    def _clear(self) -> None:
        self._lag = LagHistogram()

    def on_lag(self, lag_s: float) -> None:
        self._lag.record(lag_s)

    def snapshot(
        self, *, stall_ms: float, loop_thread_id: int | None, threshold_ms: float, watching: bool = True
    ) -> LagSnapshot:
        lag, stall_ms = self._lag.summary(), max(0.0, stall_ms)
        with self._lock:
            pool = self._threadpool.usage()
            return LagSnapshot(
                pid=os.getpid(),
                samples=lag.samples,
                since_reset_s=self.since_reset_s,
                lag_p50_ms=lag.p50_ms,
                lag_p99_ms=lag.p99_ms,
                lag_max_ms=round(max(lag.max_ms, stall_ms), 3),
                current_stall_ms=round(stall_ms, 3),
                threadpool_busy_peak=pool.peak_borrowed,
                threadpool_total=pool.total_tokens or 0,
            )


def instrument(app: ASGIApp) -> ASGIApp:
    """Wrap an ASGI app with the probe. Nothing starts until the first ASGI call (never at import)."""
    harness = Harness(app, watch=PROBE_WATCH, recorder=LagRecorder(), document=LAG_SNAPSHOT)
    channel_started = False

    async def probed_app(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal channel_started
        if not channel_started:
            channel_started = True
            directory = os.environ.get(PROBE_DIR_ENV)
            if directory:
                with contextlib.suppress(OSError):
                    server = start_side_channel(harness)
                    write_port_file(server, Path(directory) / f"probe-{os.getpid()}.port")
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or not path.startswith(PROBE_PATH):
            await harness(scope, receive, send)
            return
        if path.rstrip("/").endswith("/reset") and scope.get("method") == "POST":
            harness.reset()
            body = b'{"reset": true}'
        else:
            body = harness.snapshot_json()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return probed_app
