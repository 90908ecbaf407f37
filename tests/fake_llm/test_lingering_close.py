"""A 413 a client can read: a client that writes its whole body before reading (`urllib`) gets the answer, not
a reset, however large the body; and the lingering that makes it so is bounded in bytes and in time."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable

import pytest

from fake_llm.lingering_close import LINGER_MAX_BYTES, LINGER_MAX_S, linger

MIB = 1 << 20


@pytest.mark.parametrize("size_mb", [5, 50])
def test_an_oversized_body_gets_a_413_that_urllib_reads(fast_llm: str, size_mb: int) -> None:
    # urllib sends `Connection: close` and the whole body before it reads a byte of the answer.
    body = b'{"model":"m","messages":[{"role":"user","content":"' + b"x" * (size_mb * MIB) + b'"}]}'
    request = urllib.request.Request(
        f"{fast_llm}/v1/chat/completions", data=body, headers={"content-type": "application/json"}
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=60)
    assert caught.value.code == 413
    assert "--max-body-bytes" in json.loads(caught.value.read())["error"]["message"]


class _Answer(asyncio.Protocol):
    """Answers at once, then closes lingering (as the HTTP cycle does after a 413)."""

    def __init__(self, lost: asyncio.Event, max_bytes: int, max_s: float) -> None:
        self._lost = lost
        self._max_bytes = max_bytes
        self._max_s = max_s

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        transport.write(b"answer")
        linger(transport, max_bytes=self._max_bytes, max_s=self._max_s)

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost.set()


Client = Callable[[asyncio.StreamReader, asyncio.StreamWriter, asyncio.Event], Awaitable[int]]


def _run(client: Client, *, max_bytes: int = LINGER_MAX_BYTES, max_s: float = LINGER_MAX_S) -> int:
    """`client`'s result, connected to a server that answers and lingers within the bounds."""

    async def main() -> int:
        lost = asyncio.Event()
        server = await asyncio.get_running_loop().create_server(
            lambda: _Answer(lost, max_bytes, max_s), "127.0.0.1", 0
        )
        async with server:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.sockets[0].getsockname()[1])
            try:
                return await client(reader, writer, lost)
            finally:
                writer.close()
                await asyncio.wait_for(lost.wait(), 10)

    return asyncio.run(main())


def test_the_answer_then_a_half_close_then_a_close_at_the_clients_end() -> None:
    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, lost: asyncio.Event) -> int:
        writer.write(b"x" * MIB)  # the rest of a body nobody reads
        await writer.drain()
        assert await reader.read() == b"answer"  # everything the server sends, up to its half-close
        assert not lost.is_set()  # still lingering: only the client's close (in _run) ends it
        return 0

    _run(client)


def test_lingering_stops_after_max_bytes() -> None:
    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, lost: asyncio.Event) -> int:
        assert await reader.read() == b"answer"
        sent = 0
        with pytest.raises(ConnectionError):  # the server closed: a reset, or a broken pipe
            while sent < 512 * MIB:
                writer.write(b"x" * 65536)
                await writer.drain()
                sent += 65536
        return sent

    # Loopback socket buffers take a few MiB more than the server read; an unbounded drain would take all.
    assert _run(client, max_bytes=MIB) < 64 * MIB


def test_lingering_stops_after_max_s() -> None:
    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, lost: asyncio.Event) -> int:
        assert await reader.read() == b"answer"
        await asyncio.wait_for(lost.wait(), 10)  # the client neither sends nor closes: the deadline closes
        return 0

    _run(client, max_s=0.2)
