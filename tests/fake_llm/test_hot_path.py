"""The hot path answers byte for byte as the ASGI path does, for every dialect's API routes.

Two servers of the same configuration, one with fake_llm's full protocol (the hot path in front) and one
without it (every request through uvicorn's cycle and the ASGI app), are fed the same requests on an
in-memory connection; their raw replies are compared after blanking what must differ (the date, the
measured `x-fake-actual-ms`, `created` stamps). Latency is 0 and tokens are all due at once, so the chunks
of a stream are the same on both; `test_streams_with_timing_match_once_unchunked` covers timed streams.
"""

from __future__ import annotations

import asyncio
import gc
import json
import re
from typing import Any

import httptools
import pytest
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from fake_llm.app import create_app
from fake_llm.cli import load_config
from fake_llm.connections import HeadLimits, protocol_class
from fake_llm.hot_path import HotPath, HotRequest, with_hot_path

_CHAT = {"model": "fake-chat", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4}
_MESSAGES = {**_CHAT, "messages": [{"role": "user", "content": "hi"}]}
_GEMINI = {
    "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
    "generationConfig": {"maxOutputTokens": 4},
}
_GEMINI_BATCH = {
    "requests": [
        {"model": "models/text-embedding-004", "content": {"parts": [{"text": t}]}} for t in ("a", "b")
    ]
}
_CONVERSE = {"messages": [{"role": "user", "content": [{"text": "hi"}]}], "inferenceConfig": {"maxTokens": 4}}
_INVOKE = {
    "anthropic_version": "bedrock-2023-05-31",
    "max_tokens": 4,
    "messages": [{"role": "user", "content": "hi"}],
}
_JSON = {"content-type": "application/json"}
_ANTHROPIC = {**_JSON, "anthropic-version": "2023-06-01"}
_AZURE = {**_JSON, "api-key": "x"}
_GOOGLE = {**_JSON, "x-goog-api-key": "x"}
_SIGNED = {**_JSON, "authorization": "AWS4-HMAC-SHA256 Credential=x"}
_CLAUDE = "/model/anthropic.claude-3-haiku-20240307-v1:0"

HOT_REQUESTS: list[tuple[str, dict[str, Any], dict[str, str]]] = [
    ("/v1/chat/completions", _CHAT, _JSON),
    ("/v1/chat/completions", {**_CHAT, "stream": True}, _JSON),
    ("/v1/chat/completions", {**_CHAT, "stream": True, "stream_options": {"include_usage": True}}, _JSON),
    ("/v1/responses", {"model": "fake-chat", "input": "hi", "max_output_tokens": 4}, _JSON),
    ("/v1/responses", {"model": "fake-chat", "input": "hi", "max_output_tokens": 4, "stream": True}, _JSON),
    ("/v1/embeddings", {"model": "fake-embedding", "input": ["a", "b"], "dimensions": 8}, _JSON),
    ("/v1/embeddings", {"model": "e", "input": "a", "encoding_format": "base64", "dimensions": 4}, _JSON),
    ("/v1/completions", {"model": "m", "prompt": "hi", "max_tokens": 4}, _JSON),
    (
        "/v1/completions",
        {"model": "m", "prompt": "hi", "stream": True, "stream_options": {"include_usage": True}},
        _JSON,
    ),
    ("/v1/messages", _MESSAGES, _ANTHROPIC),
    ("/v1/messages", {**_MESSAGES, "stream": True}, _ANTHROPIC),
    ("/openai/deployments/dep/chat/completions?api-version=2024-10-21", _CHAT, _AZURE),
    ("/openai/deployments/dep/chat/completions?api-version=2024-10-21", {**_CHAT, "stream": True}, _AZURE),
    ("/openai/deployments/dep/embeddings?api-version=2024-10-21", {"model": "e", "input": "a"}, _AZURE),
    ("/openai/deployments/dep/completions?api-version=2024-10-21", {"model": "m", "prompt": ["hi"]}, _AZURE),
    ("/openai/v1/responses", {"model": "fake-chat", "input": "hi", "max_output_tokens": 4}, _AZURE),
    ("/v1beta/models/gemini-2.0-flash:generateContent", _GEMINI, _GOOGLE),
    ("/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse", _GEMINI, _GOOGLE),
    ("/v1beta/models/text-embedding-004:embedContent", {"content": {"parts": [{"text": "a"}]}}, _GOOGLE),
    ("/v1beta/models/text-embedding-004:batchEmbedContents", _GEMINI_BATCH, _GOOGLE),
    ("/v1/models/m:countTokens", {"contents": [{"parts": [{"text": "a b c"}]}]}, _GOOGLE),
    (f"{_CLAUDE}/converse", _CONVERSE, _SIGNED),
    (f"{_CLAUDE}/converse-stream", _CONVERSE, _SIGNED),
    (f"{_CLAUDE}/invoke", _INVOKE, {"authorization": "AWS4-HMAC-SHA256 Credential=x"}),
    (f"{_CLAUDE}/invoke-with-response-stream", _INVOKE, _SIGNED),
]
"""Every dialect's API routes, whole and streamed: the hot path serves these."""

ASGI_REQUESTS: list[tuple[str, dict[str, Any], dict[str, str]]] = [
    ("/v1/chat/completions", _CHAT, {"content-type": "text/plain"}),  # 415
    ("/v1/chat/completions", {"model": "fake-chat"}, _JSON),  # 400
    ("/v1/chat/completions", _CHAT, {**_JSON, "origin": "https://evil.example"}),  # 403
    ("/v1/chat/completions", _CHAT, {**_JSON, "x-fake-fault": "503"}),  # an injected error
    ("/v1/chat/completions", {**_CHAT, "messages": "hi"}, _JSON),  # not a list: 400
    ("/v1/messages", _MESSAGES, _JSON),  # no anthropic-version: 400
    ("/openai/deployments/dep/chat/completions", _CHAT, _AZURE),  # no api-version: 404
    ("/openai/unknown", _CHAT, _AZURE),  # 404
    ("/v1beta/models/m:generateContent", _GEMINI, _JSON),  # no key: 403
    (f"{_CLAUDE}/converse", _CONVERSE, _JSON),  # unsigned: 403
    ("/v1beta/models/gemini-2.0-flash:streamGenerateContent", _GEMINI, _GOOGLE),  # no alt=sse: 400
    ("/v1beta/models/gemini-2.0-flash:unknownMethod", _GEMINI, _GOOGLE),  # 404
    ("/model/m/unknown", _CONVERSE, _SIGNED),  # 404
    (f"{_CLAUDE}/invoke", _INVOKE, {"authorization": "x", "x-fake-fault": "500"}),  # an injected error
]
"""Requests the hot path hands to the ASGI app (refusals, faults), which must answer them unchanged."""
ASGI_STATUSES = [415, 400, 403, 503, 400, 400, 404, 404, 403, 403, 400, 404, 404, 500]
"""The ASGI app's statuses for `ASGI_REQUESTS`, in order."""

_BLANKED = [
    (re.compile(rb"(\r\ndate: )[^\r]*"), rb"\1-"),
    (re.compile(rb"(\r\nx-fake-actual-ms: )[^\r]*"), rb"\1-"),
    (re.compile(rb'("created(?:_at)?": ?)\d+'), rb"\1 0"),
]


class _Transport(asyncio.Transport):
    def __init__(self, port: int) -> None:
        super().__init__()
        self.written: list[bytes] = []
        self.reply: _Reply | None = None  # the response being read, fed every write
        self.closed = False
        self._peer = ("127.0.0.1", port)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": self._peer, "sockname": ("127.0.0.1", 8000)}.get(name, default)

    def write(self, data: Any) -> None:
        self.written.append(bytes(data))
        if self.reply is not None:
            self.reply.parser.feed_data(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def pause_reading(self) -> None:
        return None

    def resume_reading(self) -> None:
        return None


class _Reply:
    """Collects one response's bytes; `done` resolves when httptools has parsed it whole."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.done = loop.create_future()

    def on_message_complete(self) -> None:
        self.done.set_result(None)


def _request(path: str, body: dict[str, Any], headers: dict[str, str]) -> bytes:
    data = json.dumps(body).encode()
    lines = [
        f"POST {path} HTTP/1.1",
        "host: x",
        *(f"{k}: {v}" for k, v in headers.items()),
        f"content-length: {len(data)}",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


async def _serve_all(
    hot: bool, requests: list[bytes], flags: dict[str, object], *, served_hot: list[bool] | None = None
) -> list[bytes]:
    """Each request on one keep-alive connection of a fresh server; the raw replies (and in `served_hot`,
    whether the hot path answered each one)."""
    app = create_app(load_config(flags={"preset": "instant", "seed": 7, **flags}))
    limits = HeadLimits(timeout_s=30, max_header_bytes=16384)
    base = protocol_class(HttpToolsProtocol, app.engine.tracker, limits)
    cls: Any = with_hot_path(base, app.engine) if hot else base
    config = uvicorn.Config(
        app, http=cls, lifespan="off", proxy_headers=False, server_header=False, access_log=False
    )
    config.load()
    loop = asyncio.get_running_loop()
    protocol = cls(config=config, server_state=ServerState(), app_state={}, _loop=loop)
    transport = _Transport(40000)
    protocol.connection_made(transport)
    replies = []
    for request in requests:
        transport.written.clear()
        transport.reply = reply = _Reply(loop)
        protocol.data_received(request)
        await asyncio.wait_for(reply.done, timeout=10)
        transport.reply = None
        replies.append(b"".join(transport.written))
        if served_hot is not None:
            served_hot.append(isinstance(protocol.cycle, HotRequest))
    gc.collect()  # earlier servers' connections, gone
    alive = sum(isinstance(o, HotRequest) for o in gc.get_objects())
    assert alive <= 1, f"{alive} requests held by one connection"  # only the last one, as its `cycle`
    protocol.connection_lost(None)
    app.close()
    return replies


def _blanked(raw: bytes) -> bytes:
    for pattern, blank in _BLANKED:
        raw = pattern.sub(blank, raw)
    return raw


def _both(
    requests: list[bytes], flags: dict[str, object], *, hot_expected: bool
) -> tuple[list[bytes], list[bytes]]:
    """The replies of the ASGI path and of the hot path, raw; the hot path served them all, or none."""
    served_hot: list[bool] = []
    hot = asyncio.run(_serve_all(True, requests, flags, served_hot=served_hot))
    assert served_hot == [hot_expected] * len(requests)
    return asyncio.run(_serve_all(False, requests, flags)), hot


@pytest.mark.parametrize(
    ("path", "body", "headers"), HOT_REQUESTS, ids=[f"{p} {b.get('stream', '')}" for p, b, _ in HOT_REQUESTS]
)
def test_hot_replies_are_the_asgi_replies(path: str, body: dict[str, Any], headers: dict[str, str]) -> None:
    request = _request(path, body, headers)
    asgi, hot = _both([request, request], {"output_tokens": 4}, hot_expected=True)
    assert asgi[0].startswith(b"HTTP/1.1 200 OK\r\n"), asgi[0][:300]
    assert [_blanked(r) for r in hot] == [_blanked(r) for r in asgi]


def test_refusals_and_faults_go_to_the_asgi_app_unchanged() -> None:
    requests = [_request(*r) for r in ASGI_REQUESTS]
    asgi, hot = _both(requests, {}, hot_expected=False)
    assert [int(r.split(b" ", 2)[1]) for r in asgi] == ASGI_STATUSES
    assert [_blanked(r) for r in hot] == [_blanked(r) for r in asgi]


def _unchunked(raw: bytes) -> tuple[bytes, bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    parts = []
    while body:
        size, _, rest = body.partition(b"\r\n")
        length = int(size, 16)
        parts.append(rest[:length])
        body = rest[length + 2 :]
    return head, b"".join(parts)


def test_streams_with_timing_match_once_unchunked() -> None:
    streams = [_request(p, b, h) for p, b, h in HOT_REQUESTS if b.get("stream") or "stream" in p.lower()]
    asgi, hot = _both(streams, {"output_tokens": 4, "ttft_ms": 5.0, "itl_ms": 2.0}, hot_expected=True)
    unchunked = [[_blanked(b"\r\n\r\n".join(_unchunked(r))) for r in replies] for replies in (hot, asgi)]
    assert unchunked[0] == unchunked[1]


def test_the_server_puts_the_hot_path_in_front_with_httptools_only() -> None:
    from fake_llm.server import build_server

    def protocol(http: str) -> type:
        config = build_server(load_config(flags={"preset": "instant", "http": http})).config
        config.load()
        return config.http_protocol_class

    assert issubclass(protocol("httptools"), HotPath)
    assert not issubclass(protocol("h11"), HotPath)


def test_a_connection_keeps_no_finished_request_alive() -> None:
    """A long keep-alive connection must not hold on to its past requests (each would cost the garbage
    collector's full passes more, and memory, for as long as the connection lives): `_serve_all` counts
    them before it closes the connection."""
    asyncio.run(_serve_all(True, [_request(*HOT_REQUESTS[0])] * 50, {}))
