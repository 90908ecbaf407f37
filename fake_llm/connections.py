"""Exact connection accounting: uvicorn's own HTTP protocol classes, told about connects and closes.

Why a protocol subclass: ASGI never tells an app that a TCP connection was opened, but "a client built per
request opens a connection per request" is the signal the `per_request_client` scenario rests on, and the
simulated handshake must be charged on exactly a connection's first request. uvicorn accepts a protocol
class (`uvicorn.Config(http=cls)`), so we count in `connection_made`/`connection_lost` and look the
connection up by the client address in the request's scope (unique while the connection lives).
The transport is kept too, so the disconnect fault can cut a connection for real.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fake_llm.http_cycle import install as install_coalescing
from fake_llm.stats import ServerStats

__all__ = ["Connection", "ConnectionTracker", "protocol_class"]


class Connection:
    """One live client connection."""

    __slots__ = ("api_requests", "transport")

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.api_requests = 0

    def abort(self) -> None:
        """Cut the connection without a goodbye (a mid-stream disconnect as a client sees it)."""
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
        if self._by_client.pop(client, None) is not None:
            self._stats.connections_open -= 1

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


def protocol_class(base: type[asyncio.Protocol], tracker: ConnectionTracker) -> type[asyncio.Protocol]:
    """A subclass of uvicorn's `base` HTTP protocol that reports to `tracker`."""

    # A base class only known at run time has no static type: the one ignore mypy needs here.
    class TrackedProtocol(base):  # type: ignore[valid-type, misc]
        def connection_made(self, transport: asyncio.Transport) -> None:
            super().connection_made(transport)
            self._fake_llm_client = self.client
            tracker.opened(self.client, transport)

        def connection_lost(self, exc: Exception | None) -> None:
            tracker.closed(getattr(self, "_fake_llm_client", None))
            super().connection_lost(exc)

    TrackedProtocol.__name__ = f"Tracked{base.__name__}"
    if not hasattr(base, "on_headers_complete"):
        return TrackedProtocol

    class TrackedCoalescingProtocol(TrackedProtocol):
        """httptools: the engine's replies go out in one write each (see `fake_llm.http_cycle`)."""

        def on_headers_complete(self) -> None:
            super().on_headers_complete()
            install_coalescing(self.cycle)

    TrackedCoalescingProtocol.__name__ = f"Tracked{base.__name__}"
    return TrackedCoalescingProtocol
