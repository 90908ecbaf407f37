"""uvicorn's httptools request/response cycle, with one write per reply for the engine's own responses.

Messages marked `TRUSTED_HEADERS: True` skip header validation and go out with their first body part in
one system call; every other response goes through uvicorn unchanged."""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, RequestResponseCycle

from fake_llm.lingering_close import linger

__all__ = ["TRUSTED_HEADERS", "CoalescingCycle", "install"]

TRUSTED_HEADERS = "fake_llm.trusted_headers"
"""Key of an `http.response.start` message whose headers fake_llm built (safe names and values)."""

_CHUNKED = b"transfer-encoding: chunked\r\n"
_CLOSE = b"connection: close\r\n"
_LAST_CHUNK = b"0\r\n\r\n"


class CoalescingCycle(RequestResponseCycle):
    """A `RequestResponseCycle` whose trusted replies go out in as few writes as possible.

    Installed by `fake_llm.connections.protocol_class` on each cycle uvicorn creates (a class change, no copy:
    the cycle keeps all of uvicorn's state and methods; only `send` differs).
    """

    _head: bytes | None = None

    async def send(self, message: Any) -> None:
        if self._head is None:
            if (
                message.get(TRUSTED_HEADERS) is not True
                or self.response_started
                or self.disconnected
                or self.flow.write_paused
                or self.access_log
                or self.scope["method"] == "HEAD"
            ):
                await super().send(message)
            else:
                self._start(message)
            return
        if self.flow.write_paused and not self.disconnected:
            await self.flow.drain()  # a slow reader: wait, as uvicorn does
        self._body(message)

    def _start(self, message: Any) -> None:
        """Render the head (uvicorn's default headers first, as uvicorn does) and keep it for the body."""
        self.response_started = True
        self.waiting_for_100_continue = False
        content = [STATUS_LINE[message["status"]]]
        for name, value in self.default_headers:
            content += (name, b": ", value, b"\r\n")
        for name, value in message["headers"]:
            if name == b"content-length":
                self.expected_content_length = int(value)
                self.chunked_encoding = False
            content += (name, b": ", value, b"\r\n")
        if self.chunked_encoding is None:
            self.chunked_encoding = True
            content.append(_CHUNKED)
        if not self.keep_alive:
            content.append(_CLOSE)
        content.append(b"\r\n")
        self._head = b"".join(content)

    def _body(self, message: Any) -> None:
        """Write the kept head (if still kept) with this body part, framed as uvicorn frames it."""
        if message["type"] != "http.response.body" or self.response_complete:
            raise RuntimeError(f"Unexpected ASGI message {message['type']!r} in a response")
        if self.disconnected:
            return
        body = message.get("body", b"")
        more_body = message.get("more_body", False)
        out = [self._head] if self._head else []
        self._head = b""
        if self.chunked_encoding:
            if body:
                out += (b"%x\r\n" % len(body), body, b"\r\n")
            if not more_body:
                out.append(_LAST_CHUNK)
        else:
            if len(body) > self.expected_content_length:
                raise RuntimeError("Response content longer than Content-Length")
            self.expected_content_length -= len(body)
            out.append(body)
        self.transport.write(b"".join(out))
        if not more_body:
            if self.expected_content_length != 0:
                raise RuntimeError("Response content shorter than Content-Length")
            self.response_complete = True
            self.message_event.set()
            if not self.keep_alive:
                if self.more_body:  # refused before its body ended (a 413): the client must read this first
                    linger(self.transport)
                else:
                    self.transport.close()
            self.on_response()


def install(cycle: object) -> None:
    """Make `cycle` (just created by uvicorn's httptools protocol) a CoalescingCycle; others stay as is."""
    if type(cycle) is RequestResponseCycle:
        cycle.__class__ = CoalescingCycle
