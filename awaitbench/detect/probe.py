"""In-process probe for scenario apps under load: event-loop lag and threadpool occupancy.

`instrument(app)` wraps a variant's ASGI app; `awaitbench serve --probe` applies it. On the first ASGI
call in a worker process (normally the lifespan startup) it starts:

- the loop watchdog's monitor (`awaitbench.detect.watchdog.monitor`) on that loop, measuring lag only: every
  20 ms it posts a callback to the loop from its own thread; how long the callback waited is one lag
  sample, recorded into the shared HDR histogram (`awaitbench.detect.watchdog.lag`). A loop blocked for 2 s
  shows up as one 2 s sample; while a stall is still in progress, the snapshot reports it as
  `current_stall_ms` and in `lag_max_ms`. Each check also reads anyio's default thread limiter
  (`awaitbench.detect.watchdog.threadpool`: `borrowed_tokens` of the 40-token pool FastAPI's `def` routes
  share): its peak is the threadpool occupancy.
- a side channel: when `AWAITBENCH_PROBE_DIR` is set, a tiny HTTP server on a daemon thread
  (127.0.0.1, ephemeral port written to `probe-<pid>.port` in that directory). It answers even while
  the event loop is blocked, which the app's own routes cannot: a pitfall variant under load would
  otherwise hold the bench's reset/read calls behind seconds of backlog.

The same figures are served by the app itself at `GET /__awaitbench/probe` (reset:
`POST /__awaitbench/probe/reset`), for humans poking at `awaitbench serve --probe`.
Cost: one callback on the loop every 20 ms; docs/bench.md has the measured overhead.
The JSON (`ProbeState.snapshot`) is the bench's wire format: its keys do not change.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import os
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from awaitbench.detect.watchdog.config import FrameFilter
from awaitbench.detect.watchdog.lag import LagHistogram
from awaitbench.detect.watchdog.monitor import Monitor, MonitorSettings, WatchListener
from awaitbench.detect.watchdog.stacks import FrameClassifier
from awaitbench.detect.watchdog.threadpool import ThreadpoolReading

__all__ = ["PROBE_DIR_ENV", "PROBE_PATH", "TICK_S", "ProbeState", "instrument", "start_probe_monitor"]

PROBE_PATH = "/__awaitbench/probe"
PROBE_DIR_ENV = "AWAITBENCH_PROBE_DIR"
TICK_S = 0.020

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class ProbeState(WatchListener):
    """Thread-safe lag histogram and threadpool peak since the last reset, fed by a monitor.

    Args:
        stall_s: how long the loop has been stalled right now (the monitor's `current_stall_s`).
    """

    def __init__(self, stall_s: Callable[[], float] = lambda: 0.0) -> None:
        self.stall_s = stall_s
        self._lock = threading.Lock()
        self._lag = LagHistogram()
        self._threadpool_peak = 0
        self._threadpool_total = 0
        self._reset_at = time.monotonic()

    def on_lag(self, lag_s: float) -> None:
        self._lag.record(lag_s)

    def on_threadpool(self, reading: ThreadpoolReading, elapsed_s: float) -> None:
        with self._lock:
            self._threadpool_peak = max(self._threadpool_peak, reading.borrowed)
            self._threadpool_total = reading.total

    def reset(self) -> None:
        with self._lock:
            self._lag.reset()
            self._threadpool_peak = 0
            self._reset_at = time.monotonic()

    def snapshot(self) -> dict[str, Any]:
        """Figures since the last reset; a stall still in progress counts towards the max."""
        lag = self._lag.summary()
        stall_ms = max(0.0, self.stall_s() * 1000.0)
        with self._lock:
            return {
                "pid": os.getpid(),
                "samples": lag.samples,
                "since_reset_s": round(time.monotonic() - self._reset_at, 3),
                "lag_p50_ms": lag.p50_ms,
                "lag_p99_ms": lag.p99_ms,
                "lag_max_ms": round(max(lag.max_ms, stall_ms), 3),
                "current_stall_ms": round(stall_ms, 3),
                "threadpool_busy_peak": self._threadpool_peak,
                "threadpool_total": self._threadpool_total,
            }


def start_probe_monitor(state: ProbeState, loop: asyncio.AbstractEventLoop, thread_id: int) -> Monitor:
    """A lag-only monitor (no block sampling) on `loop`, feeding `state`; stop it with `.stop()`."""
    monitor = Monitor(
        MonitorSettings(threshold_s=None, interval_s=TICK_S),
        [state],
        FrameClassifier(FrameFilter()),
        loops=[(loop, thread_id)],
    )
    state.stall_s = monitor.current_stall_s
    return monitor.start()


def _start_side_channel(state: ProbeState, directory: Path) -> None:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, payload: dict[str, Any]) -> None:
            body = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            self._answer(state.snapshot())

        def do_POST(self) -> None:
            state.reset()
            self._answer({"reset": True})

        def log_message(self, format: str, *args: Any) -> None:  # keep the app's log clean
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="awaitbench-probe", daemon=True).start()
    port_file = directory / f"probe-{os.getpid()}.port"
    directory.mkdir(parents=True, exist_ok=True)
    tmp = port_file.with_suffix(".tmp")
    tmp.write_text(str(server.server_address[1]))
    tmp.replace(port_file)
    atexit.register(lambda: port_file.unlink(missing_ok=True))


async def _send_json(send: Send, payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _stop_on_shutdown(send: Send, monitors: list[Monitor]) -> Send:
    # Stop the monitor thread when the app shuts down, so nothing watches a closing loop.
    async def wrapped(message: Message) -> None:
        if str(message.get("type", "")).startswith("lifespan.shutdown"):
            for monitor in monitors:
                monitor.stop()
        await send(message)

    return wrapped


def instrument(app: ASGIApp) -> ASGIApp:
    """Wrap an ASGI app with the probe. Nothing starts until the first ASGI call (never at import)."""
    state: ProbeState | None = None
    monitors: list[Monitor] = []

    def ensure_started() -> ProbeState:
        nonlocal state
        if state is None:
            state = ProbeState()
            monitors.append(start_probe_monitor(state, asyncio.get_running_loop(), threading.get_ident()))
            directory = os.environ.get(PROBE_DIR_ENV)
            if directory:
                with contextlib.suppress(OSError):
                    _start_side_channel(state, Path(directory))
        return state

    async def probed_app(scope: Scope, receive: Receive, send: Send) -> None:
        probe = ensure_started()
        path = scope.get("path", "")
        if scope["type"] == "http" and path.startswith(PROBE_PATH):
            if path.rstrip("/").endswith("/reset") and scope.get("method") == "POST":
                probe.reset()
                await _send_json(send, {"reset": True})
            else:
                await _send_json(send, probe.snapshot())
            return
        if scope["type"] == "lifespan":
            await app(scope, receive, _stop_on_shutdown(send, monitors))
            return
        await app(scope, receive, send)

    return probed_app
