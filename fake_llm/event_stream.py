"""AWS event-stream framing (`application/vnd.amazon.eventstream`), the encoding side, as botocore reads it.

A message is a prelude (total length, headers length, the prelude's CRC32), headers (name, type 7 = string,
value), the payload and the CRC32 of everything before it; all integers big-endian.
"""

from __future__ import annotations

import struct
from zlib import crc32

__all__ = ["CONTENT_TYPE", "event_headers", "frame"]

CONTENT_TYPE = b"application/vnd.amazon.eventstream"
_STRING = 7
_PRELUDE = struct.Struct(">II")
_CRC = struct.Struct(">I")


def _header(name: bytes, value: bytes) -> bytes:
    return bytes([len(name)]) + name + bytes([_STRING]) + struct.pack(">H", len(value)) + value


def event_headers(event_type: str) -> bytes:
    """The encoded headers of a JSON event named `event_type` (built once per kind, then reused)."""
    return (
        _header(b":event-type", event_type.encode())
        + _header(b":content-type", b"application/json")
        + _header(b":message-type", b"event")
    )


def frame(headers: bytes, payload: bytes) -> bytes:
    """One event-stream message carrying `headers` (from `event_headers`) and `payload`."""
    prelude = _PRELUDE.pack(16 + len(headers) + len(payload), len(headers))
    head = prelude + _CRC.pack(crc32(prelude)) + headers + payload
    return head + _CRC.pack(crc32(head))
