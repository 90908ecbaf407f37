"""The generator's HTTP/SSE parser: framing, token events, and bytes split at every possible point."""

from __future__ import annotations

import pytest

from bench.loadgen.http1 import ResponseParser, WireError


def _sse(*events: bytes, sep: bytes = b"\n\n") -> bytes:
    return b"".join(event + sep for event in events)


def _chunked(body: bytes, size: int) -> bytes:
    out = b""
    for start in range(0, len(body), size):
        piece = body[start : start + size]
        out += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    return out + b"0\r\n\r\n"


_ROLE = b'data: {"choices":[{"delta":{"role":"assistant","content":""}}]}'
_TOKEN = b'data: {"choices":[{"delta":{"content":"hi"}}]}'
_SPACED = b'data: {"choices": [{"delta": {"content": "yo"}}]}'
_USAGE = b'data: {"choices":[],"usage":{"completion_tokens":3}}'
_DONE = b"data: [DONE]"
_STREAM_HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"


def _feed_all(parser: ResponseParser, data: bytes, cut: int | None = None) -> int:
    if cut is None:
        return parser.feed(data)
    return parser.feed(data[:cut]) + parser.feed(data[cut:])


def test_content_length_body_completes_exactly() -> None:
    parser = ResponseParser(count_tokens=False)
    assert parser.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel") == 0
    before = parser.complete
    parser.feed(b"lo")
    assert (before, parser.complete) == (False, True)
    assert parser.status == 200
    assert parser.keep_alive


def test_status_and_connection_close_are_read() -> None:
    parser = ResponseParser(count_tokens=False)
    parser.feed(b"HTTP/1.1 429 Too Many Requests\r\nconnection: close\r\ncontent-length: 0\r\n\r\n")
    assert parser.complete
    assert parser.status == 429
    assert not parser.keep_alive


@pytest.mark.parametrize("sep", [b"\n\n", b"\r\n\r\n"])
def test_streamed_tokens_counted_whatever_the_split(sep: bytes) -> None:
    body = _sse(_ROLE, _TOKEN, _SPACED, _TOKEN, _USAGE, _DONE, sep=sep)
    data = _STREAM_HEAD + _chunked(body, 17)
    for cut in range(len(data) + 1):
        parser = ResponseParser(count_tokens=True)
        tokens = _feed_all(parser, data, cut)
        assert parser.complete, cut
        assert tokens == 3, cut  # role-only, usage and [DONE] events are not tokens
        assert parser.tokens == 3


def test_tokens_are_reported_when_their_event_ends() -> None:
    parser = ResponseParser(count_tokens=True)
    first = _sse(_TOKEN)
    assert parser.feed(_STREAM_HEAD + _chunked(first, 1000)[:-5]) == 1  # without the terminating chunk
    assert not parser.complete
    assert parser.feed(b"0\r\n\r\n") == 0
    assert parser.complete


def test_truncated_response_is_an_error_on_close() -> None:
    parser = ResponseParser(count_tokens=True)
    parser.feed(_STREAM_HEAD + b"5\r\nab")
    with pytest.raises(WireError):
        parser.close()


def test_garbage_is_rejected() -> None:
    with pytest.raises(WireError):
        ResponseParser(count_tokens=False).feed(b"SSH-2.0-OpenSSH\r\n\r\n")
