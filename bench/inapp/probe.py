"""In-process probe for scenario apps under load: event-loop lag and threadpool occupancy.

`instrument(app)` wraps a variant's ASGI app; `awaitbench serve --probe` applies it. On the first ASGI
call in a worker process (normally the lifespan startup) it starts:

- a ticker task: `await asyncio.sleep(20 ms)` in a loop; the drift past 20 ms is the event-loop lag,
  recorded into an HDR histogram (µs). A loop blocked for 2 s shows up as one 2 s sample; while a
  stall is still in progress, the snapshot reports it as `current_stall_ms` and in `lag_max_ms`.
  Each tick also reads anyio's default thread limiter (`borrowed_tokens`), the 40-token pool that
  FastAPI's `def` routes share: its peak is the threadpool occupancy.
- a side channel: when `AWAITBENCH_PROBE_DIR` is set, a tiny HTTP server on a daemon thread
  (127.0.0.1, ephemeral port written to `probe-<pid>.port` in that directory). It answers even while
  the event loop is blocked, which the app's own routes cannot: a pitfall variant under load would
  otherwise hold the bench's reset/read calls behind seconds of backlog.

The same figures are served by the app itself at `GET /__awaitbench/probe` (reset:
`POST /__awaitbench/probe/reset`), for humans poking at `awaitbench serve --probe`.
Cost: one timer wake-up every 20 ms; docs/bench.md has the measured overhead.
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

__all__ = ["PROBE_DIR_ENV", "PROBE_PATH", "TICK_S", "ProbeState", "instrument"]

PROBE_PATH = "/__awaitbench/probe"
PROBE_DIR_ENV = "AWAITBENCH_PROBE_DIR"
TICK_S = 0.020
_MAX_LAG_US = 3_600_000_000  # one hour: anything longer is clamped

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _new_histogram() -> Any:
    """Lag in µs, 1 µs to an hour, 3 significant digits (hdrhistogram is imported only when probing)."""
    from hdrh.histogram import HdrHistogram

    return HdrHistogram(1, _MAX_LAG_US, 3)


class ProbeState:
    """Thread-safe lag histogram and threadpool peak since the last reset."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hist = _new_histogram()
        self._threadpool_peak = 0
        self._threadpool_total = 0
        self._reset_at = time.monotonic()
        self.last_tick = time.monotonic()

    def record(self, lag_s: float, *, threadpool_busy: int | None, threadpool_total: int | None) -> None:
        lag_us = min(max(int(lag_s * 1e6), 1), _MAX_LAG_US)
        with self._lock:
            self._hist.record_value(lag_us)
            if threadpool_busy is not None:
                self._threadpool_peak = max(self._threadpool_peak, threadpool_busy)
            if threadpool_total is not None:
                self._threadpool_total = threadpool_total
            self.last_tick = time.monotonic()

    def reset(self) -> None:
        with self._lock:
            self._hist = _new_histogram()
            self._threadpool_peak = 0
            self._reset_at = time.monotonic()

    def snapshot(self) -> dict[str, Any]:
        """Figures since the last reset; a stall still in progress counts towards the max."""
        with self._lock:
            now = time.monotonic()
            stall_ms = max(0.0, (now - self.last_tick - TICK_S) * 1000.0)
            count = self._hist.get_total_count()

            def pct(p: float) -> float | None:
                return round(self._hist.get_value_at_percentile(p) / 1000.0, 3) if count else None

            hist_max = self._hist.get_max_value() / 1000.0 if count else 0.0
            return {
                "pid": os.getpid(),
                "samples": count,
                "since_reset_s": round(now - self._reset_at, 3),
                "lag_p50_ms": pct(50),
                "lag_p99_ms": pct(99),
                "lag_max_ms": round(max(hist_max, stall_ms), 3),
                "current_stall_ms": round(stall_ms, 3),
                "threadpool_busy_peak": self._threadpool_peak,
                "threadpool_total": self._threadpool_total,
            }


def _default_limiter() -> Any:
    """anyio's default thread limiter of this loop (None without anyio); looked up once, read each tick."""
    try:
        import anyio.to_thread

        return anyio.to_thread.current_default_thread_limiter()
    except Exception:  # no anyio, or not inside an anyio-compatible loop
        return None


async def _tick_forever(state: ProbeState) -> None:
    limiter = _default_limiter()
    while True:
        before = time.perf_counter()
        await asyncio.sleep(TICK_S)
        lag_s = time.perf_counter() - before - TICK_S
        if limiter is None:
            state.record(lag_s, threadpool_busy=None, threadpool_total=None)
        else:
            state.record(
                lag_s, threadpool_busy=limiter.borrowed_tokens, threadpool_total=limiter.total_tokens
            )


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


def _stop_ticker_on_shutdown(send: Send, tasks: set[asyncio.Task[None]]) -> Send:
    # Cancel the ticker when the app shuts down, so the loop closes without a pending task.
    async def wrapped(message: Message) -> None:
        if str(message.get("type", "")).startswith("lifespan.shutdown"):
            for task in tasks:
                task.cancel()
        await send(message)

    return wrapped


def instrument(app: ASGIApp) -> ASGIApp:
    """Wrap an ASGI app with the probe. Nothing starts until the first ASGI call (never at import)."""
    state: ProbeState | None = None
    tasks: set[asyncio.Task[None]] = set()

    def ensure_started() -> ProbeState:
        nonlocal state
        if state is None:
            state = ProbeState()
            tasks.add(asyncio.get_running_loop().create_task(_tick_forever(state)))
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
            await app(scope, receive, _stop_ticker_on_shutdown(send, tasks))
            return
        await app(scope, receive, send)

    return probed_app
