"""Sending a reply that is generated while it is sent: 64 KiB at a time, yielding to the loop between."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator

from fake_llm.asgi import Send

__all__ = ["CHUNK_BYTES", "first_chunk", "grouped", "send_rest"]

CHUNK_BYTES = 64 * 1024


def first_chunk(pieces: Iterator[bytes]) -> tuple[bytes, Iterator[bytes] | None]:
    """The first `CHUNK_BYTES` (or more, to a piece boundary) of `pieces`, and the rest (None if no rest).

    Called before the reply's deadline, so a reply that fits is rendered before the sleep, as it always was.
    """
    buffer: list[bytes] = []
    size = 0
    for piece in pieces:
        buffer.append(piece)
        size += len(piece)
        if size >= CHUNK_BYTES:
            return b"".join(buffer), pieces
    return b"".join(buffer), None


def grouped(pieces: Iterable[bytes], size: int = CHUNK_BYTES) -> Iterator[bytes]:
    """`pieces` joined into chunks of at least `size` bytes (the last may be smaller)."""
    buffer: list[bytes] = []
    held = 0
    for piece in pieces:
        buffer.append(piece)
        held += len(piece)
        if held >= size:
            yield b"".join(buffer)
            buffer.clear()
            held = 0
    if buffer:
        yield b"".join(buffer)


async def send_rest(send: Send, first: bytes, rest: Iterator[bytes], *, pause_s: float = 0.0) -> None:
    """Send `first`, then the rest a chunk at a time (generating each), then end the body.

    Args:
        send: the ASGI send of a response whose start (without content-length) is already sent.
        first: the first chunk (from `first_chunk`).
        rest: the remaining pieces; generated here, one chunk at a time.
        pause_s: wait between chunks (the trickle fault); 0 still yields to the loop.
    """
    await send({"type": "http.response.body", "body": first, "more_body": True})
    for chunk in grouped(rest):
        await asyncio.sleep(pause_s)
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})
