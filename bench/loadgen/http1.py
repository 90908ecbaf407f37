"""HTTP/1.1 on the wire for the open-loop generator: the request bytes, and incremental response parsing.

Status, body framing (`Content-Length` or chunked), the first body byte, and SSE token events, each
stamped with the read that completed it."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from enum import Enum
from typing import Any

__all__ = ["ResponseParser", "WireError", "encode_request"]

_TOKEN_EVENT = re.compile(rb'"content"\s*:\s*"[^"]')
_EVENT_SEPARATORS = (b"\n\n", b"\r\n\r\n")


class WireError(ValueError):
    """The bytes are not an HTTP/1.1 response this parser understands."""


def encode_request(
    *,
    method: str,
    host: str,
    port: int,
    path: str,
    json_body: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> bytes:
    """The bytes of one keep-alive HTTP/1.1 request, built once and sent for every request of a run."""
    body = b"" if json_body is None else json.dumps(json_body, separators=(",", ":")).encode()
    lines = [f"{method} {path or '/'} HTTP/1.1", f"Host: {host}:{port}"]
    if json_body is not None:
        lines.append("Content-Type: application/json")
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body or method != "GET":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class _Framing(Enum):
    LENGTH = "length"
    CHUNKED = "chunked"
    UNTIL_CLOSE = "until_close"


class _ChunkState(Enum):
    SIZE = "size"
    DATA = "data"
    DATA_END = "data_end"
    TRAILER = "trailer"


class ResponseParser:
    """Feed it the bytes of one response; it says when the response is complete and when tokens arrived.

    `feed(data)` returns how many token events the bytes completed; the caller stamps them all with the time
    of the read that delivered `data`.
    After `complete` is True, `leftover` holds bytes that belong to the next response (never expected with
    one request in flight per connection, but kept rather than lost).
    """

    def __init__(self, *, count_tokens: bool) -> None:
        self.count_tokens = count_tokens
        self.status: int | None = None
        self.keep_alive = True
        self.complete = False
        self.leftover = b""
        self.tokens = 0
        self.body_started = False
        self._head = b""
        self._framing = _Framing.UNTIL_CLOSE
        self._remaining = 0
        self._chunk_state = _ChunkState.SIZE
        self._line = b""
        self._events = b""

    def feed(self, data: bytes) -> int:
        """Consume `data`; return the number of token events it completed."""
        if self.complete:
            self.leftover += data
            return 0
        if self.status is None:
            self._head += data
            end = self._head.find(b"\r\n\r\n")
            if end < 0:
                if len(self._head) > 65536:
                    raise WireError("response head larger than 64 KiB")
                return 0
            head, data = self._head[:end], self._head[end + 4 :]
            self._head = b""
            self._parse_head(head)
            if self._framing is _Framing.LENGTH and self._remaining == 0:
                self.complete = True
                self.leftover = data
                return 0
        if self._framing is _Framing.CHUNKED:
            return self._feed_chunked(data)
        if self._framing is _Framing.LENGTH:
            body, self.leftover = data[: self._remaining], data[self._remaining :]
            self._remaining -= len(body)
            if self._remaining == 0:
                self.complete = True
            return self._body(body)
        return self._body(data)

    def close(self) -> None:
        """The connection ended: a body framed by the close is now complete; anything else is truncated."""
        if self.complete:
            return
        if self.status is not None and self._framing is _Framing.UNTIL_CLOSE:
            self.complete = True
            return
        raise WireError("connection closed before the response was complete")

    def _parse_head(self, head: bytes) -> None:
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise WireError(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
        self.status = int(parts[1])
        if parts[0] == b"HTTP/1.0":
            self.keep_alive = False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            value = value.strip().lower()
            if name == b"content-length":
                self._framing = _Framing.LENGTH
                self._remaining = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value:
                self._framing = _Framing.CHUNKED
            elif name == b"connection":
                self.keep_alive = value != b"close"
        if self._framing is _Framing.UNTIL_CLOSE:
            self.keep_alive = False

    def _feed_chunked(self, data: bytes) -> int:
        tokens = 0
        pos = 0
        while pos < len(data) and not self.complete:
            state = self._chunk_state
            if state is _ChunkState.DATA:
                take = data[pos : pos + self._remaining]
                pos += len(take)
                self._remaining -= len(take)
                tokens += self._body(take)
                if self._remaining == 0:
                    self._chunk_state = _ChunkState.DATA_END
                continue
            end = data.find(b"\n", pos)
            if end < 0:
                self._line += data[pos:]
                break
            line = (self._line + data[pos:end]).rstrip(b"\r")
            self._line = b""
            pos = end + 1
            if state is _ChunkState.SIZE:
                size = int(line.split(b";", 1)[0], 16)
                self._remaining = size
                self._chunk_state = _ChunkState.DATA if size else _ChunkState.TRAILER
            elif state is _ChunkState.DATA_END:
                if line:
                    raise WireError("chunk data longer than its declared size")
                self._chunk_state = _ChunkState.SIZE
            elif not line:  # TRAILER: an empty line ends the message
                self.complete = True
        if self.complete:
            self.leftover = data[pos:]
        return tokens

    def _body(self, data: bytes) -> int:
        if data:
            self.body_started = True
        if not self.count_tokens or not data:
            return 0
        self._events += data
        tokens = 0
        while True:
            cut = -1
            width = 0
            for separator in _EVENT_SEPARATORS:
                index = self._events.find(separator)
                if index >= 0 and (cut < 0 or index < cut):
                    cut, width = index, len(separator)
            if cut < 0:
                break
            event, self._events = self._events[:cut], self._events[cut + width :]
            if _TOKEN_EVENT.search(event):
                tokens += 1
        self.tokens += tokens
        return tokens
