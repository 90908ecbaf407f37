"""Closing a connection whose client is still sending (a 413 before its body ends) so it reads the answer.

Closing a socket with unread input makes the kernel send a reset, and a client that writes its whole body
before reading (`urllib`) then loses the answer. So, as nginx's lingering close: half-close, read and drop
what still comes (at most `LINGER_MAX_BYTES`, for at most `LINGER_MAX_S`), then close.
"""

from __future__ import annotations

import asyncio

__all__ = ["LINGER_MAX_BYTES", "LINGER_MAX_S", "linger"]

LINGER_MAX_BYTES = 1 << 30
"""Most a client may still send after its answer before the connection is closed anyway."""
LINGER_MAX_S = 30.0
"""Longest a connection lingers (nginx's `lingering_time`)."""


class _Drain(asyncio.Protocol):
    """Drops what arrives; closes at the client's EOF, after `budget` bytes or at `deadline_s`."""

    def __init__(
        self, transport: asyncio.Transport, previous: asyncio.BaseProtocol, budget: int, deadline_s: float
    ) -> None:
        self._transport = transport
        self._previous = previous
        self._budget = budget
        self._timer = asyncio.get_running_loop().call_later(deadline_s, transport.close)

    def data_received(self, data: bytes) -> None:
        self._budget -= len(data)
        if self._budget < 0:
            self._transport.close()

    def eof_received(self) -> bool:
        return False  # the client is done: the transport closes

    def connection_lost(self, exc: Exception | None) -> None:
        self._timer.cancel()
        self._previous.connection_lost(exc)  # the server's own accounting of the connection


def linger(
    transport: asyncio.Transport, *, max_bytes: int = LINGER_MAX_BYTES, max_s: float = LINGER_MAX_S
) -> None:
    """Close `transport` once its client stops sending, having sent what was written (a lingering close).

    Args:
        transport: a connection whose reply is written and whose request may still be arriving.
        max_bytes: the most to read and drop before closing anyway.
        max_s: the longest to wait for the client to stop.
    """
    if not transport.can_write_eof():  # TLS has no half-close
        transport.close()
        return
    transport.write_eof()
    transport.set_protocol(_Drain(transport, transport.get_protocol(), max_bytes, max_s))
    transport.resume_reading()
