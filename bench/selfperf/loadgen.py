"""The open-loop load generator: a fixed arrival rate, exact per-request and per-token timings.

Why a dedicated generator and not Locust or wrk: "the highest rate at which p99 latency error stays within
5 ms" needs requests sent on a fixed schedule whatever the server does. A closed loop (Locust users, wrk
connections) sends less when the server slows down and hides exactly the slowness being measured
(coordinated omission); Locust also has no per-chunk timing and costs far more CPU per request than the
servers under test. This one is an asyncio `Protocol` on uvloop with keep-alive connections and a
hand-written parser (`bench.selfperf.wire`), so it costs a few microseconds per request and stamps every token
chunk with the time of the read that delivered it.

How it measures:
- request i is due at `t0 + i / rate`; the dispatcher sends every due request, reusing an idle connection or
  opening one (up to `max_connections`; beyond that the request waits, and the wait counts as latency);
- latency is measured from the dispatch, so the generator's own timer granularity is not blamed on the
  server; the dispatch lag is recorded separately and a large one marks the step invalid;
- only requests due inside the window after the warm-up count; the run then drains for the longest
  intended latency plus 2 s, and requests still unanswered count as timeouts;
- latency error = measured - intended: the whole response vs `ttft_ms` (non-streaming), or token k's
  arrival vs `ttft_ms + k * itl_ms` (streaming);
- the generator samples its own CPU time and the server's over the window, so a step where the generator
  was the bottleneck is reported as invalid instead of as a slow server. The garbage collector is off during
  the run: a collection pause would be measured as server latency.

Run as `python -m bench.selfperf.loadgen '<LoadConfig JSON>' OUT_PATH`; writes one JSON object (`LoadResult`).
"""

from __future__ import annotations

import asyncio
import gc
import json
import resource
import sys
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import psutil

from bench.selfperf.config import LoadConfig
from bench.selfperf.wire import ResponseParser, WireError

__all__ = ["LoadResult", "main", "percentiles", "request_bytes", "run_load", "sample_cpu_window"]

_DRAIN_EXTRA_S = 2.0


@dataclass(frozen=True, kw_only=True)
class LoadResult:
    """What one step measured; `error_ms` and `dispatch_lag_ms` are {"p50", "p90", "p99", "max"}."""

    rate_rps: float
    measure_s: float
    sent: int
    sent_rps: float
    ok: int
    achieved_rps: float
    failed: dict[str, int]
    error_ms: dict[str, float]
    error_samples: int
    dispatch_lag_ms: dict[str, float]
    loadgen_cpu_util: float
    server_cpu_util: float | None
    connections_opened: int
    peak_connections: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def percentiles(values: Sequence[float]) -> dict[str, float]:
    """Nearest-rank p50/p90/p99 and max; zeros for no values."""
    if not values:
        return {"p50": 0.0, "p90": 0.0, "p99": 0.0, "max": 0.0}
    ordered = sorted(values)
    last = len(ordered) - 1

    def rank(q: float) -> float:
        return round(ordered[min(last, max(0, int(q * len(ordered) + 0.999999) - 1))], 3)

    return {"p50": rank(0.50), "p90": rank(0.90), "p99": rank(0.99), "max": round(ordered[last], 3)}


@dataclass(kw_only=True)
class _Request:
    due_s: float
    measured: bool
    dispatched_s: float = 0.0
    token_times: list[float] = field(default_factory=list)


class _Connection(asyncio.Protocol):
    def __init__(self, gen: _Generator) -> None:
        self.gen = gen
        self.transport: asyncio.Transport | None = None
        self.request: _Request | None = None
        self.parser: ResponseParser | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, only duck-typed ones.
        self.transport = cast(asyncio.Transport, transport)

    def send(self, request: _Request) -> None:
        assert self.transport is not None
        self.request = request
        self.parser = ResponseParser(count_tokens=self.gen.streaming)
        self.transport.write(self.gen.request_bytes)

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        request, parser = self.request, self.parser
        if request is None or parser is None:
            return
        try:
            tokens = parser.feed(data)
        except (WireError, ValueError):
            self._fail("bad_response")
            return
        if tokens and request.measured:
            request.token_times.extend([now] * tokens)
        if parser.complete:
            self.request = self.parser = None
            self.gen.finished(self, request, parser, now)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if self.request is not None:
            self._fail("connection_lost")
        self.gen.connection_closed(self)

    def _fail(self, kind: str) -> None:
        request = self.request
        self.request = self.parser = None
        if request is not None:
            self.gen.failed(request, kind)
        if self.transport is not None:
            self.transport.close()


class _Generator:
    """The shared state of one run: connection pool, waiting requests, and what was measured."""

    def __init__(self, config: LoadConfig) -> None:
        self.config = config
        self.streaming = config.mode == "streaming"
        parts = urlsplit(config.url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.request_bytes = request_bytes(config)
        self.idle: list[_Connection] = []
        self.waiting: deque[_Request] = deque()
        self.connections = 0
        self.connections_opened = 0
        self.peak_connections = 0
        self.outstanding = 0
        self.sent = 0
        self.ok = 0
        self.failures: dict[str, int] = {}
        self.errors_ms: list[float] = []
        self.lags_ms: list[float] = []
        self.all_done = asyncio.Event()
        self.dispatching = True

    def dispatch(self, request: _Request, now: float) -> None:
        request.dispatched_s = now
        if request.measured:
            self.outstanding += 1
            self.sent += 1
            self.lags_ms.append((now - request.due_s) * 1000.0)
        if self.idle:
            self.idle.pop().send(request)
        elif self.connections < self.config.max_connections:
            self._open(request)
        else:
            self.waiting.append(request)

    def _open(self, request: _Request) -> None:
        self.connections += 1
        self.connections_opened += 1
        self.peak_connections = max(self.peak_connections, self.connections)
        asyncio.get_running_loop().create_task(self._connect_and_send(request))

    async def _connect_and_send(self, request: _Request) -> None:
        loop = asyncio.get_running_loop()
        try:
            _, protocol = await loop.create_connection(lambda: _Connection(self), self.host, self.port)
        except OSError:
            self.connections -= 1
            self.failed(request, "connect")
            return
        protocol.send(request)

    def finished(self, conn: _Connection, request: _Request, parser: ResponseParser, now: float) -> None:
        if parser.status != 200:
            self.failed(request, f"http_{parser.status}")
        elif request.measured:
            self._record(request, now)
        if parser.keep_alive and conn.transport is not None:
            self._reuse(conn)
        elif conn.transport is not None:
            conn.transport.close()

    def _record(self, request: _Request, now: float) -> None:
        config = self.config
        if self.streaming:
            if len(request.token_times) != config.output_tokens:
                self.failed(request, "token_count")
                return
            for index, arrived in enumerate(request.token_times):
                elapsed_ms = (arrived - request.dispatched_s) * 1000.0
                self.errors_ms.append(elapsed_ms - config.intended_ms(index))
        else:
            self.errors_ms.append((now - request.dispatched_s) * 1000.0 - config.ttft_ms)
        self.ok += 1
        self._settle()

    def failed(self, request: _Request, kind: str) -> None:
        if not request.measured:
            return
        self.failures[kind] = self.failures.get(kind, 0) + 1
        self._settle()

    def _settle(self) -> None:
        self.outstanding -= 1
        if self.outstanding == 0 and not self.dispatching:
            self.all_done.set()

    def _reuse(self, conn: _Connection) -> None:
        if self.waiting:
            conn.send(self.waiting.popleft())
        else:
            self.idle.append(conn)

    def connection_closed(self, conn: _Connection) -> None:
        self.connections -= 1
        if conn in self.idle:
            self.idle.remove(conn)
        if self.waiting and self.connections < self.config.max_connections:
            self._open(self.waiting.popleft())

    def close_all(self) -> None:
        for conn in self.idle:
            if conn.transport is not None:
                conn.transport.close()


def request_bytes(config: LoadConfig) -> bytes:
    """The one request every step sends, as bytes on the wire (a chat completion, streamed or not)."""
    parts = urlsplit(config.url)
    body = json.dumps(
        {
            "model": "fake-chat",
            "messages": [{"role": "user", "content": "Say something."}],
            "max_tokens": config.output_tokens,
            "stream": config.mode == "streaming",
        },
        separators=(",", ":"),
    ).encode()
    return (
        f"POST {parts.path or '/'} HTTP/1.1\r\nHost: {parts.hostname or '127.0.0.1'}:{parts.port or 80}\r\n"
        f"Content-Type: application/json\r\nAuthorization: Bearer perf\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _server_cpu_s(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return None
    return float(times.user + times.system + times.children_user + times.children_system)


async def sample_cpu_window(start_s: float, end_s: float, pid: int | None) -> tuple[float, float | None]:
    """CPU utilisation (1.0 = one full core) of this process and of the server between two instants."""
    await asyncio.sleep(max(0.0, start_s - time.perf_counter()))
    own0, server0, t0 = _cpu_s(), _server_cpu_s(pid), time.perf_counter()
    await asyncio.sleep(max(0.0, end_s - time.perf_counter()))
    own1, server1, t1 = _cpu_s(), _server_cpu_s(pid), time.perf_counter()
    wall = max(t1 - t0, 1e-9)
    server = None if server0 is None or server1 is None else (server1 - server0) / wall
    return (own1 - own0) / wall, server


async def run_load(config: LoadConfig) -> LoadResult:
    """Run one step of open-loop load against `config.url` and measure it."""
    gen = _Generator(config)
    interval_s = 1.0 / config.rate_rps
    t0 = time.perf_counter() + 0.05
    window_start = t0 + config.warmup_s
    window_end = window_start + config.measure_s
    total = int((config.warmup_s + config.measure_s) * config.rate_rps)
    sampler = asyncio.ensure_future(sample_cpu_window(window_start, window_end, config.server_pid))
    for index in range(total):
        due = t0 + index * interval_s
        now = time.perf_counter()
        if due > now:
            await asyncio.sleep(due - now)
            now = time.perf_counter()
        gen.dispatch(_Request(due_s=due, measured=window_start <= due < window_end), now)
    gen.dispatching = False
    if gen.outstanding > 0:
        longest_ms = config.intended_ms(max(config.output_tokens - 1, 0))
        drain_s = longest_ms / 1000.0 + _DRAIN_EXTRA_S
        try:
            await asyncio.wait_for(gen.all_done.wait(), timeout=drain_s)
        except TimeoutError:
            gen.failures["timeout"] = gen.failures.get("timeout", 0) + gen.outstanding
    loadgen_cpu, server_cpu = await sampler
    gen.close_all()
    return LoadResult(
        rate_rps=config.rate_rps,
        measure_s=config.measure_s,
        sent=gen.sent,
        sent_rps=round(gen.sent / config.measure_s, 2),
        ok=gen.ok,
        achieved_rps=round(gen.ok / config.measure_s, 2),
        failed=dict(gen.failures),
        error_ms=percentiles(gen.errors_ms),
        error_samples=len(gen.errors_ms),
        dispatch_lag_ms=percentiles(gen.lags_ms),
        loadgen_cpu_util=round(loadgen_cpu, 3),
        server_cpu_util=None if server_cpu is None else round(server_cpu, 3),
        connections_opened=gen.connections_opened,
        peak_connections=gen.peak_connections,
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Process entry point: `python -m bench.selfperf.loadgen CONFIG_JSON OUT_PATH`."""
    import uvloop

    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        raise SystemExit("usage: python -m bench.selfperf.loadgen '<LoadConfig JSON>' OUT_PATH")
    config = LoadConfig.from_json(args[0])
    gc.disable()
    result = uvloop.run(run_load(config))
    Path(args[1]).write_text(json.dumps(result.to_dict()) + "\n")


if __name__ == "__main__":
    main()
