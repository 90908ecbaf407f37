"""Connections: exact accounting, the client-went-away signal, and the guards on reading a request head.

A uvicorn protocol subclass counts connections, cancels the request of a lost one (499), and bounds how
long and how large a request head may be."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from fake_llm.dialects import OPENAI, Dialect
from fake_llm.http_cycle import install as install_coalescing
from fake_llm.routes import API_PATHS, DIALECTS, FAMILY_PREFIXES, family_route
from fake_llm.stats import ServerStats

__all__ = ["Connection", "ConnectionTracker", "HeadLimits", "protocol_class"]

_HEAD_MESSAGE = "The request line and headers are too large (fake_llm --max-header-bytes)."


def _head_too_large(dialect: Dialect) -> bytes:
    """The whole 431 response, in `dialect`'s error shape (written by hand: no ASGI cycle exists yet)."""
    body = dialect.error_body(431, _HEAD_MESSAGE, code="request_header_fields_too_large")
    extra = b"".join(name + b": " + value + b"\r\n" for name, value in dialect.error_headers(431))
    return (
        b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\n%sconnection: close\r\n\r\n%s" % (len(body), extra, body)
    )


# By request path, in the route's error shape; any other path (a control route) in OpenAI's.
_HEAD_TOO_LARGE = {path.encode(): _head_too_large(DIALECTS[route]) for path, route in API_PATHS.items()}
_HEAD_TOO_LARGE_OTHER = _head_too_large(OPENAI)


def _head_refusal(path: bytes) -> bytes:
    """The 431 for a request line naming `path`, in the error shape of its API."""
    known = _HEAD_TOO_LARGE.get(path)
    if known is not None:
        return known
    text = path.decode("latin-1")
    if text.startswith(FAMILY_PREFIXES):
        route, missing = family_route(text)
        dialect = DIALECTS[route] if route is not None else missing
        if dialect is not None:
            return _head_too_large(dialect)
    return _HEAD_TOO_LARGE_OTHER


class Connection:
    """One live client connection, and the API request task it is serving (if any)."""

    __slots__ = ("api_requests", "lost", "task", "transport")

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.api_requests = 0
        self.task: asyncio.Task[Any] | None = None
        self.lost = False

    def abort(self) -> None:
        """Cut the connection without a goodbye (a mid-stream disconnect as a client sees it)."""
        self.task = None  # our own cut: the request ends by itself, nothing to cancel
        self.transport.abort()


class ConnectionTracker:
    """Live connections by client address; counts a connection once it carries an API request."""

    def __init__(self, stats: ServerStats) -> None:
        self._stats = stats
        self._by_client: dict[Any, Connection] = {}

    def opened(self, client: Any, transport: asyncio.Transport) -> None:
        self._by_client[client] = Connection(transport)
        self._stats.connections_open += 1

    def closed(self, client: Any) -> None:
        """The connection is gone: cancel the API request it was serving (the engine counts it as 499)."""
        conn = self._by_client.pop(client, None)
        if conn is None:
            return
        self._stats.connections_open -= 1
        conn.lost = True
        task = conn.task
        if task is not None:
            conn.task = None
            task.cancel()

    def api_request(self, client: Any) -> Connection | None:
        """Note an API request on `client`'s connection; returns it (None if unknown, e.g. in-process tests).

        The connection counts as opened on its first API request, so control traffic (/stats, /health)
        from the bench never inflates `connections_opened`.
        """
        conn = self._by_client.get(tuple(client) if client else None)
        if conn is not None:
            conn.api_requests += 1
            if conn.api_requests == 1:
                self._stats.connection_opened()
        return conn


@dataclass(frozen=True, kw_only=True, slots=True)
class HeadLimits:
    """How long and how large the head of a request may be (from `LimitsConfig`)."""

    timeout_s: float
    max_header_bytes: int


def _reading(protocol: Any) -> tuple[str, object] | None:
    """What `protocol` is waiting to read, as (what, which request), or None if it is not reading.

    uvicorn's state, read without touching it: `cycle` is the latest request (None before the first head
    is complete); `more_body` means its body is still arriving; a complete response with no keep-alive
    timer armed means bytes of a next head arrived (reading cancels that timer) but not the whole head.
    """
    cycle = protocol.cycle
    if cycle is None:
        return ("first head", None)
    if cycle.more_body and not cycle.response_started:
        return ("body", cycle)
    if cycle.response_complete and protocol.timeout_keep_alive_task is None:
        return ("next head", cycle)
    return None


class _Tracked(asyncio.Protocol):
    """Mixed into uvicorn's protocol class: connection accounting and the head timeout."""

    # uvicorn's protocol state this mixin reads (set by the class it is mixed into).
    cycle: Any
    client: Any
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    timeout_keep_alive_task: asyncio.TimerHandle | None
    # Set per class by `protocol_class`.
    _fake_llm_tracker: ConnectionTracker
    _fake_llm_limits: HeadLimits

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._fake_llm_client = self.client
        self._fake_llm_head_bytes = 0
        self._fake_llm_draining = False
        self._fake_llm_seen: object = None
        self._fake_llm_timer: asyncio.TimerHandle | None = self.loop.call_later(
            self._fake_llm_limits.timeout_s, self._fake_llm_check_head
        )
        self._fake_llm_tracker.opened(self.client, self.transport)

    def connection_lost(self, exc: Exception | None) -> None:
        timer = getattr(self, "_fake_llm_timer", None)
        if timer is not None:
            timer.cancel()
            self._fake_llm_timer = None
        self._fake_llm_tracker.closed(getattr(self, "_fake_llm_client", None))
        super().connection_lost(exc)

    def _fake_llm_check_head(self) -> None:
        self._fake_llm_timer = None
        if self.transport.is_closing():
            return
        reading = _reading(self)
        # Stalled: no head after a whole timeout since opening, or the same read still unfinished at two
        # checks in a row (so a head or body gets one to two timeouts).
        if reading is not None and (reading[1] is None or reading == self._fake_llm_seen):
            self.transport.close()
            return
        self._fake_llm_seen = reading
        self._fake_llm_timer = self.loop.call_later(
            self._fake_llm_limits.timeout_s, self._fake_llm_check_head
        )


class _HeadSize(_Tracked):
    """Mixed into httptools' protocol class (h11 has its own limit): the head size limit, 431."""

    def data_received(self, data: bytes) -> None:
        cycle = self.cycle
        if cycle is not None and cycle.more_body:
            super().data_received(data)  # a body: its size is the app's to judge (413)
            return
        if self._fake_llm_draining:
            return  # after a 431: read and drop until the client or the head timeout closes
        # Waiting for a head: on_headers_complete (called inside) resets the count.
        self._fake_llm_head_bytes += len(data)
        super().data_received(data)
        if (
            self._fake_llm_head_bytes > self._fake_llm_limits.max_header_bytes
            and not self.transport.is_closing()
        ):
            self._fake_llm_refuse_head()

    def on_headers_complete(self) -> None:
        self._fake_llm_head_bytes = 0
        super().on_headers_complete()  # type: ignore[misc]
        # The cycle uvicorn just created: the engine's replies go out in one write each (fake_llm.http_cycle).
        install_coalescing(self.cycle)

    def _fake_llm_refuse_head(self) -> None:
        # The path is known once the request line is (httptools hands the URL over as it arrives).
        path = getattr(self, "url", b"").partition(b"?")[0]
        self.transport.write(_head_refusal(path))
        if self.transport.can_write_eof():
            # Half-close and keep reading: closing with unread input would send a reset, and the client
            # could lose the 431 before reading it.
            self._fake_llm_draining = True
            self.transport.write_eof()
        else:  # TLS has no half-close
            self.transport.close()


def protocol_class(
    base: type[asyncio.Protocol], tracker: ConnectionTracker, limits: HeadLimits
) -> type[asyncio.Protocol]:
    """A subclass of uvicorn's `base` HTTP protocol that reports to `tracker` and enforces `limits`."""
    mixin = _HeadSize if hasattr(base, "on_headers_complete") else _Tracked  # httptools or h11
    namespace = {"_fake_llm_tracker": tracker, "_fake_llm_limits": limits}
    return type(f"Tracked{base.__name__}", (mixin, base), namespace)
