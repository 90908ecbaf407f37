"""The coalescing HTTP cycle on a real server, seen as raw bytes: framing, headers and connection handling.

The SDK tests prove clients parse the replies; these pin the HTTP details the cycle takes over from
uvicorn (status line, default headers, Content-Length or chunked framing, `connection: close`).
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable
from typing import Any, cast

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from fake_llm.app import create_app
from fake_llm.cli import load_config
from fake_llm.connections import HeadLimits, protocol_class
from fake_llm.http_cycle import CoalescingCycle, install
from tests.waiting import wait_until_async

BODY = b'{"model":"fake-chat","messages":[{"role":"user","content":"hi"}],"max_tokens":3%s}'


def _exchange(base: str, request: bytes) -> bytes:
    """Send one request with `Connection: close` and read until the server closes."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while data := sock.recv(65536):
            chunks.append(data)
    return b"".join(chunks)


def _post(path: str, body: bytes) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def _split(raw: bytes) -> tuple[bytes, dict[bytes, bytes], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status, *lines = head.split(b"\r\n")
    headers = dict(line.split(b": ", 1) for line in lines)
    return status, headers, body


def _unchunk(body: bytes) -> bytes:
    out: list[bytes] = []
    rest = body
    while True:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            assert rest == b"\r\n"
            return b"".join(out)
        out.append(rest[:size])
        assert rest[size : size + 2] == b"\r\n"
        rest = rest[size + 2 :]


def test_whole_reply_has_length_framing_and_closes(start_fake_llm: Callable[..., str]) -> None:
    base = start_fake_llm(preset="instant")
    status, headers, body = _split(_exchange(base, _post("/v1/chat/completions", BODY % b"")))
    assert status == b"HTTP/1.1 200 OK"
    assert b"date" in headers and headers[b"connection"] == b"close"
    assert b"transfer-encoding" not in headers
    assert int(headers[b"content-length"]) == len(body) and body.startswith(b'{"id":"chatcmpl-')
    for name in (b"x-request-id", b"x-fake-queue-ms", b"x-fake-intended-ms", b"x-fake-actual-ms"):
        assert name in headers


def test_stream_is_chunked_and_error_replies_are_framed(start_fake_llm: Callable[..., str]) -> None:
    base = start_fake_llm(preset="instant")
    status, headers, body = _split(_exchange(base, _post("/v1/chat/completions", BODY % b',"stream":true')))
    assert status == b"HTTP/1.1 200 OK" and headers[b"transfer-encoding"] == b"chunked"
    events = _unchunk(body).split(b"\n\n")
    assert events[-2:] == [b"data: [DONE]", b""] and len([e for e in events if b'"content":" ' in e]) == 3
    status, headers, body = _split(_exchange(base, _post("/v1/chat/completions", b"{")))
    assert status == b"HTTP/1.1 400 Bad Request" and int(headers[b"content-length"]) == len(body)


def test_control_routes_and_other_objects_keep_uvicorns_path(start_fake_llm: Callable[..., str]) -> None:
    base = start_fake_llm(preset="instant")
    request = b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    status, headers, body = _split(_exchange(base, request))
    assert status == b"HTTP/1.1 200 OK" and body == b'{"status":"ok"}'
    assert headers[b"content-type"] == b"application/json"

    class Other:
        pass

    other = Other()
    install(other)
    assert type(other) is Other


class _Transport(asyncio.Transport):
    """What uvicorn's protocol writes to, kept in memory."""

    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
        self.closing = False
        self.eof = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8000)}.get(name, default)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += data

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        self.eof = True


def test_the_head_guards_install_the_coalescing_cycle_and_still_refuse_a_large_head() -> None:
    """fake_llm's protocol (connection accounting, head time and size) with the coalescing cycle: a reply
    goes through the cycle, the next head over the limit still gets its 431 (in the route's shape)."""
    body = b'{"model":"claude-fake","max_tokens":3,"messages":[{"role":"user","content":"hi"}]}'
    request = (
        b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"anthropic-version: 2023-06-01\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    )

    async def main() -> None:
        app = create_app(load_config(flags={"preset": "instant"}))
        limits = HeadLimits(timeout_s=10.0, max_header_bytes=1024)
        # protocol_class returns a subclass of the protocol it is given (typed as any asyncio.Protocol).
        cls = cast(type[HttpToolsProtocol], protocol_class(HttpToolsProtocol, app.engine.tracker, limits))
        config = uvicorn.Config(app, http=cls, lifespan="off", access_log=False)
        config.load()
        protocol = cls(config=config, server_state=ServerState(), app_state={})
        transport = _Transport()
        protocol.connection_made(transport)
        try:
            protocol.data_received(request)
            assert type(protocol.cycle) is CoalescingCycle

            async def replied() -> bool:
                return bool(protocol.cycle.response_complete)

            await wait_until_async(replied, 10, "the reply")
            status, headers, reply = _split(bytes(transport.written))
            assert status == b"HTTP/1.1 200 OK" and int(headers[b"content-length"]) == len(reply)
            assert json.loads(reply)["usage"]["output_tokens"] == 3
            transport.written.clear()
            protocol.data_received(b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 2000)
            status, _, refusal = _split(bytes(transport.written))
            assert status == b"HTTP/1.1 431 Request Header Fields Too Large" and transport.eof
            assert json.loads(refusal)["error"]["type"] == "invalid_request_error"
            assert json.loads(refusal)["type"] == "error"  # Anthropic's shape: the path was /v1/messages
        finally:
            protocol.connection_lost(None)
            app.close()

    asyncio.run(main())
