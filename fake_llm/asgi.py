"""The few raw-ASGI helpers the API endpoints use (reading a body, sending a whole response).

The API endpoints are raw ASGI rather than FastAPI routes because they are the hot path the perf benchmark
compares against a bare ASGI server: every layer between uvicorn and the sleep costs requests/s.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fake_llm.http_cycle import TRUSTED_HEADERS

__all__ = [
    "BodyTooLarge",
    "Headers",
    "Receive",
    "Scope",
    "Send",
    "error_body",
    "read_body",
    "send_json",
    "send_response",
]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

_JSON = (b"content-type", b"application/json")


class BodyTooLarge(Exception):
    """The body grew past the limit while it was read (the rest is never read into memory)."""


async def read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None if the client went away first.

    The size is checked after every piece, so an oversized body costs at most `limit` plus one piece
    (uvicorn hands over at most ~64 KiB at a time) however large it claims or turns out to be.

    Raises:
        BodyTooLarge: the body is larger than `limit` bytes.
    """
    message = await receive()
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):  # the usual case: the whole body in one message
        if message["type"] == "http.disconnect":
            return None
        if len(body) > limit:
            raise BodyTooLarge
        return body
    chunks = [body]
    size = len(body)
    while True:
        if message["type"] == "http.disconnect":
            return None
        if size > limit:
            raise BodyTooLarge
        if not message.get("more_body", False):
            return b"".join(chunks)
        message = await receive()
        piece = message.get("body", b"")
        chunks.append(piece)
        size += len(piece)


def error_body(message: str, *, type_: str, param: str | None = None, code: str | None = None) -> bytes:
    """OpenAI's error shape: `{"error": {"message", "type", "param", "code"}}`."""
    return json.dumps({"error": {"message": message, "type": type_, "param": param, "code": code}}).encode()


async def send_response(send: Send, status: int, body: bytes, headers: Headers, content_type: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
            # fake_llm builds these headers itself: its HTTP cycle may skip re-validating them.
            TRUSTED_HEADERS: True,
        }
    )
    await send({"type": "http.response.body", "body": body})


async def send_json(send: Send, status: int, document: object, headers: Headers | None = None) -> None:
    await send_response(send, status, json.dumps(document).encode(), headers or [], _JSON[1])
