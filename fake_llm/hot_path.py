"""The hot path: the API's usual requests answered by the HTTP protocol itself, with timers, no ASGI."""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE

from fake_llm.bedrock import BEDROCK, read_as_json
from fake_llm.bodies import grouped
from fake_llm.engine import (
    MAX_PENDING_CHUNKS,
    Engine,
    Exchange,
    Plan,
    StreamReply,
    WholeReply,
    stream_headers,
    whole_headers,
)
from fake_llm.parse_worker import IN_PROCESS_MAX_BYTES
from fake_llm.routes import API_PATHS, DIALECTS, FAMILY_PREFIXES, Route, family_route

__all__ = ["HotPath", "HotRequest", "with_hot_path"]

_CHUNKED = b"transfer-encoding: chunked\r\n"
_CLOSE = b"connection: close\r\n"
_LAST_CHUNK = b"0\r\n\r\n"


def _chunk(body: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(body), body) if body else b""


class _NoWaiters:
    """uvicorn sets its cycle's message event when the connection is lost; no one waits on a hot request."""

    def set(self) -> None:
        return None


class HotRequest:
    """One hot request: it stands in uvicorn's `protocol.cycle` (the fields the head guards, uvicorn's
    connection_lost and shutdown read), gathers the body, then sends the reply at its deadlines."""

    message_event = _NoWaiters()

    def __init__(self, protocol: HotPath, route: Route, previous: Any) -> None:
        self.protocol = protocol
        self.route = route
        self.previous = previous  # uvicorn's last cycle, restored if the ASGI path takes the request
        self.body: list[bytes] = []
        self.more_body = True
        self.response_started = False
        self.response_complete = False
        self.disconnected = False
        self.keep_alive = bool(protocol.parser.should_keep_alive())
        self.timer: asyncio.TimerHandle | None = None
        self.exchange: Exchange | None = None

    def begin(self, engine: Engine, began: tuple[Plan, list[tuple[bytes, bytes]], Exchange, Any]) -> None:
        """Serve what `Engine.begin_now` started: wait for the reply's first deadline."""
        self.engine = engine
        self.plan, self.headers, self.exchange, self.reply = began
        self.head = b""
        self.pending: list[bytes] = []
        self.index = 0
        if isinstance(self.reply, StreamReply):
            self._at(self.plan.first, self._stream)
        else:
            self._at(self.reply.deadline, self._whole)

    def lost(self) -> None:
        """The client went away: stop, and record it as `Engine.handle` would (a 499)."""
        self.disconnected = True
        if self.timer is not None:
            self.timer.cancel()
        if self.exchange is None:
            self.protocol._fake_llm_engine.lost_unread(self.route, self.protocol.client)
        else:
            self.engine.finish_now(self.route, self.exchange, client_gone=True)

    def _at(self, deadline: float, due: Any) -> None:
        loop = self.protocol.loop
        if deadline > loop.time():
            self.timer = loop.call_at(deadline, due)
        else:
            due()

    def _head(self, headers: list[tuple[bytes, bytes]], *, chunked: bool) -> bytes:
        """Status line and headers, as `fake_llm.http_cycle.CoalescingCycle` writes them."""
        content = [STATUS_LINE[200]]
        for name, value in [*self.protocol.server_state.default_headers, *headers]:
            content += (name, b": ", value, b"\r\n")
        if chunked:
            content.append(_CHUNKED)
        if not self.keep_alive:
            content.append(_CLOSE)
        content.append(b"\r\n")
        self.response_started = True
        return b"".join(content)

    def _whole(self) -> None:
        self.timer = None
        now = self.protocol.loop.time()
        assert isinstance(self.reply, WholeReply) and isinstance(self.reply.payload, bytes)
        body = self.reply.payload
        self.engine.stats.scheduling_error((now - self.reply.deadline) * 1000)
        self.exchange.status = "200"  # type: ignore[union-attr]
        head = self._head(whole_headers(self.plan, now, self.headers, len(body)), chunked=False)
        self.protocol.transport.write(head + body)
        self._done()

    def _stream(self) -> None:
        """As `Engine._send_stream`: tokens already due go out in one write, then wait for the next."""
        self.timer = None
        loop = self.protocol.loop
        renderer, chunks, finish_reason = self.reply
        _, _, n_tokens, _, _, first, end, itl_s = self.plan
        exchange, pending = self.exchange, self.pending
        assert exchange is not None
        if not self.response_started:
            started = stream_headers(self.plan, loop.time(), self.headers, renderer.content_type)
            self.head = self._head(started, chunked=True)
            exchange.status = "200"
            pending.append(renderer.stream_head())
        tokens = chunks[0]
        while self.index < len(tokens):
            deadline = first + self.index * itl_s
            if deadline > loop.time():
                if pending:
                    self._write(b"".join(pending))
                    pending.clear()
                    exchange.tokens_out = self.index
                self.timer = loop.call_at(deadline, self._stream)
                return
            pending.append(renderer.stream_token(self.index, tokens[self.index]))
            self.index += 1
        if len(pending) > MAX_PENDING_CHUNKS:
            self._write(b"".join(pending))
            pending.clear()
            exchange.tokens_out = self.index
        self.engine.stats.scheduling_error((loop.time() - end) * 1000)
        self._end(renderer.stream_tail(chunks, n_tokens, finish_reason))
        exchange.tokens_out = n_tokens
        self._done()

    def _end(self, tail: Any) -> None:
        """The pending tokens and the stream's tail, framed as `Engine._end_stream` sends them."""
        if isinstance(tail, tuple):
            self.pending.extend(tail)
            self._write(b"".join(self.pending), last=True)
            return
        self._write(b"".join(self.pending))
        for chunk in grouped(iter(tail)):
            self._write(chunk)
        self._write(b"", last=True)

    def _write(self, body: bytes, *, last: bool = False) -> None:
        self.protocol.transport.write(self.head + _chunk(body) + (_LAST_CHUNK if last else b""))
        self.head = b""

    def _done(self) -> None:
        self.response_complete = True
        assert self.exchange is not None
        self.engine.finish_now(self.route, self.exchange)
        protocol = self.protocol
        protocol._fake_llm_hot = None
        if not self.keep_alive:
            protocol.transport.close()
        protocol.on_response_complete()


class HotPath:
    """Mixed into fake_llm's httptools protocol class (`fake_llm.connections.protocol_class`): parses the
    head as uvicorn does, then takes a POST to an API route with a small body to the hot path."""

    # uvicorn's protocol state this mixin reads (set by the class it is mixed into).
    cycle: Any
    client: Any
    scope: Any
    url: bytes
    headers: list[tuple[bytes, bytes]]
    parser: Any
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    server_state: Any
    access_log: bool
    expect_100_continue: bool
    on_response_complete: Any
    _fake_llm_head_bytes: int
    # Set per class by `protocol_class`.
    _fake_llm_engine: Engine
    _fake_llm_hot: HotRequest | None = None

    def on_headers_complete(self) -> None:
        route = self._hot_route()
        if route is None:
            super().on_headers_complete()  # type: ignore[misc]
            return
        self._fake_llm_head_bytes = 0
        self.cycle = self._fake_llm_hot = HotRequest(self, route, self.cycle)

    def on_body(self, body: bytes) -> None:
        hot = self._fake_llm_hot
        if hot is not None and hot.more_body:
            hot.body.append(body)
        else:
            super().on_body(body)  # type: ignore[misc]

    def on_message_complete(self) -> None:
        hot = self._fake_llm_hot
        if hot is None or not hot.more_body:
            super().on_message_complete()  # type: ignore[misc]
            return
        hot.more_body = False
        body = b"".join(hot.body)
        engine = self._fake_llm_engine
        admitted = engine.admit_now(hot.route, self.scope, body)
        if admitted is None:
            self._to_asgi(hot, body)
            return
        hot.previous = None  # needed no more: keeping it would chain every request of the connection
        hot.begin(engine, engine.begin_now(admitted, self.client, self.loop.time()))

    def connection_lost(self, exc: Exception | None) -> None:
        hot = self._fake_llm_hot
        if hot is not None and not hot.response_complete:
            self._fake_llm_hot = None
            hot.lost()
        super().connection_lost(exc)  # type: ignore[misc]

    def _to_asgi(self, hot: HotRequest, body: bytes) -> None:
        """Hand the request to uvicorn's cycle and the ASGI app, with its whole body."""
        self._fake_llm_hot = None
        self.cycle = hot.previous
        super().on_headers_complete()  # type: ignore[misc]
        cycle = self.cycle
        cycle.body = body
        cycle.more_body = False
        cycle.message_event.set()

    def _hot_route(self) -> Route | None:
        """The API route of a request the hot path may take (decided from its head), else None."""
        cycle = self.cycle
        if (
            not self._fake_llm_engine.serves_now
            or self._fake_llm_hot is not None
            or (cycle is not None and not cycle.response_complete)  # pipelined: uvicorn queues it
            or self.expect_100_continue
            or self.access_log
            or self.parser.get_method() != b"POST"
            or self.parser.get_http_version() != "1.1"
            or self.parser.should_upgrade()
        ):
            return None
        raw_path, _, query = self.url.partition(b"?")
        path = raw_path.decode("latin-1")
        route = API_PATHS.get(path)
        if route is None and path.startswith(FAMILY_PREFIXES) and "%" not in path:
            route = family_route(path)[0]
        if route is None or not self._small_body():
            return None
        scope = self.scope
        scope.update(method="POST", path=path, raw_path=raw_path, query_string=query)
        if DIALECTS[route] is BEDROCK:
            read_as_json(scope)
        return route

    def _small_body(self) -> bool:
        """A body declared by `Content-Length`, small enough to parse in this process."""
        for name, value in self.headers:
            if name == b"content-length":
                return value.isdigit() and int(value) <= IN_PROCESS_MAX_BYTES
        return False


def with_hot_path(protocol: type[asyncio.Protocol], engine: Engine) -> type[asyncio.Protocol]:
    """`protocol` (fake_llm's httptools protocol class) with the hot path in front, serving `engine`'s API."""
    return type(f"Hot{protocol.__name__}", (HotPath, protocol), {"_fake_llm_engine": engine})
