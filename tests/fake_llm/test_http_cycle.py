"""The coalescing HTTP cycle on a real server, seen as raw bytes: framing, headers and connection handling.

The SDK tests prove clients parse the replies; these pin the HTTP details the cycle takes over from
uvicorn (status line, default headers, Content-Length or chunked framing, `connection: close`).
"""

from __future__ import annotations

import socket
from collections.abc import Callable

from fake_llm.http_cycle import install

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
    out, rest = [], body
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
