"""The open-loop generator's engine: requests sent on a schedule whatever the server does, timed exactly.

An asyncio `Protocol` on uvloop with keep-alive connections and a hand-written parser; at most
`max_outstanding` unanswered (more are dropped, reported); outcomes go to a `Sink`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol, cast
from urllib.parse import urlsplit

from bench.loadgen.http1 import ResponseParser, WireError, encode_request
from bench.loadgen.open_loop_config import OpenLoopConfig

__all__ = ["Generator", "Request", "Sink", "percentiles"]


def percentiles(values: Iterable[float]) -> dict[str, float]:
    """Nearest-rank p50/p90/p99 and max; zeros for no values."""
    ordered = sorted(values)
    if not ordered:
        return {"p50": 0.0, "p90": 0.0, "p99": 0.0, "max": 0.0}
    last = len(ordered) - 1

    def rank(q: float) -> float:
        return round(ordered[min(last, max(0, int(q * len(ordered) + 0.999999) - 1))], 3)

    return {"p50": rank(0.50), "p90": rank(0.90), "p99": rank(0.99), "max": round(ordered[last], 3)}


@dataclass(kw_only=True, eq=False)
class Request:
    """One scheduled request; times are `time.perf_counter()` seconds (0.0 = has not happened)."""

    due_s: float
    measured: bool = True
    dispatched_s: float = 0.0
    first_byte_s: float = 0.0
    token_times: list[float] = field(default_factory=list)


class Sink(Protocol):
    """What a driver does with each request's fate."""

    def sent(self, request: Request) -> None: ...

    def answered(self, request: Request, status: int, now: float) -> None: ...

    def failed(self, request: Request, kind: str, now: float) -> None: ...

    def dropped(self, request: Request) -> None: ...


class _Connection(asyncio.Protocol):
    def __init__(self, gen: Generator) -> None:
        self.gen = gen
        self.transport: asyncio.Transport | None = None
        self.request: Request | None = None
        self.parser: ResponseParser | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, only duck-typed ones.
        self.transport = cast(asyncio.Transport, transport)

    def send(self, request: Request) -> None:
        assert self.transport is not None
        self.request = request
        self.parser = ResponseParser(count_tokens=self.gen.config.count_tokens)
        self.transport.write(self.gen.request_bytes)

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        request, parser = self.request, self.parser
        if request is None or parser is None:
            return
        try:
            tokens = parser.feed(data)
        except (WireError, ValueError):
            self._fail("bad_response", now)
            return
        if not request.first_byte_s and parser.body_started:
            request.first_byte_s = now
        if tokens and request.measured:
            request.token_times.extend([now] * tokens)
        if parser.complete:
            self.request = self.parser = None
            self.gen.finished(self, request, parser, now)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if self.request is not None:
            self._fail("connection_lost", time.perf_counter())
        self.gen.connection_closed(self)

    def _fail(self, kind: str, now: float) -> None:
        request = self.request
        self.request = self.parser = None
        if request is not None:
            self.gen.failed(request, kind, now)
        if self.transport is not None:
            self.transport.close()


class Generator:
    """The shared state of one run: the connection pool, the requests in flight, the counters.

    Args:
        config: what to send, how often, and the bound on requests in flight.
        sink: told what happened to every request.
    """

    def __init__(self, config: OpenLoopConfig, sink: Sink) -> None:
        self.config = config
        self.sink = sink
        parts = urlsplit(config.url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        self.request_bytes = encode_request(
            method=config.method,
            host=self.host,
            port=self.port,
            path=path,
            json_body=config.json_body,
            headers=config.headers,
        )
        self.idle: list[_Connection] = []
        self.in_flight: set[Request] = set()
        self.connections = 0
        self.connections_opened = 0
        self.peak_connections = 0
        self.all_done = asyncio.Event()
        self.dispatching = True

    def dispatch(self, request: Request, now: float) -> None:
        """Send `request` now, or drop it when `max_outstanding` requests are already in flight."""
        if len(self.in_flight) >= self.config.max_outstanding:
            self.sink.dropped(request)
            return
        request.dispatched_s = now
        self.in_flight.add(request)
        self.sink.sent(request)
        if self.idle:
            self.idle.pop().send(request)
        else:
            self._open(request)

    def _open(self, request: Request) -> None:
        self.connections += 1
        self.connections_opened += 1
        self.peak_connections = max(self.peak_connections, self.connections)
        asyncio.get_running_loop().create_task(self._connect_and_send(request))

    async def _connect_and_send(self, request: Request) -> None:
        loop = asyncio.get_running_loop()
        try:
            _, protocol = await loop.create_connection(lambda: _Connection(self), self.host, self.port)
        except OSError:
            self.connections -= 1
            self.failed(request, "connect", time.perf_counter())
            return
        protocol.send(request)

    def finished(self, conn: _Connection, request: Request, parser: ResponseParser, now: float) -> None:
        self._settle(request)
        # The connection goes back to the pool before the sink hears of the answer: a sink that sends the
        # next request at once (the closed-loop step) then sends it on this same connection.
        if parser.keep_alive and conn.transport is not None:
            self.idle.append(conn)
        elif conn.transport is not None:
            conn.transport.close()
        status = parser.status or 0
        if 200 <= status < 400:
            self.sink.answered(request, status, now)
        else:
            self.sink.failed(request, f"http_{status}", now)

    def failed(self, request: Request, kind: str, now: float) -> None:
        self._settle(request)
        self.sink.failed(request, kind, now)

    def _settle(self, request: Request) -> None:
        self.in_flight.discard(request)
        if not self.in_flight and not self.dispatching:
            self.all_done.set()

    def connection_closed(self, conn: _Connection) -> None:
        self.connections -= 1
        if conn in self.idle:
            self.idle.remove(conn)

    def close_all(self) -> None:
        for conn in self.idle:
            if conn.transport is not None:
                conn.transport.close()

    async def send_on_schedule(
        self, offsets: Iterable[float], *, t0: float, window: tuple[float, float] | None = None
    ) -> None:
        """Send one request at `t0 + offset` for each offset (ascending), however the server keeps up.

        `window` (perf_counter start, end) marks which requests are `measured`; None = all of them.
        """
        for offset in offsets:
            due = t0 + offset
            now = time.perf_counter()
            if due > now:
                await asyncio.sleep(due - now)
                now = time.perf_counter()
            measured = window is None or window[0] <= due < window[1]
            self.dispatch(Request(due_s=due, measured=measured), now)
        self.dispatching = False
        if not self.in_flight:
            self.all_done.set()
