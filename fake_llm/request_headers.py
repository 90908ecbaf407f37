"""What a request's headers decide before its body is read: may it be served (415, 403), and which
`x-fake-*` pins apply; one pass over the headers."""

from __future__ import annotations

import math
from dataclasses import dataclass

from fake_llm.asgi import Headers
from fake_llm.config import FaultKind
from fake_llm.faults import parse_fault
from fake_llm.origins import OriginPolicy
from fake_llm.parsing import BadRequest

__all__ = ["MAX_PINNED_MS", "NO_OVERRIDES", "HeaderOverrides", "HeaderRules"]

MAX_PINNED_MS = 3_600_000.0
"""Largest `x-fake-ttft-ms` / `x-fake-itl-ms` (one hour): a finite sleep the event loop can schedule."""

_JSON = b"application/json"
_CONTENT_TYPE, _ORIGIN, _TTFT, _ITL, _TOKENS, _FAULT = range(6)
_WATCHED: dict[bytes, int] = {
    b"content-type": _CONTENT_TYPE,
    b"origin": _ORIGIN,
    b"x-fake-ttft-ms": _TTFT,
    b"x-fake-itl-ms": _ITL,
    b"x-fake-output-tokens": _TOKENS,
    b"x-fake-fault": _FAULT,
}


@dataclass(frozen=True, kw_only=True)
class HeaderOverrides:
    """What the headers pinned (None = not pinned). `fault_set` tells "x-fake-fault: none" from no header."""

    ttft_ms: float | None = None
    itl_ms: float | None = None
    output_tokens: int | None = None
    fault: FaultKind | None = None
    fault_set: bool = False


NO_OVERRIDES = HeaderOverrides()


def _shown(raw: bytes) -> str:
    text = raw.decode("latin-1")
    return text if len(text) <= 40 else text[:40] + "..."


def _number(name: str, raw: bytes, *, whole: bool, maximum: float) -> float:
    try:
        value = int(raw) if whole else float(raw)
    except ValueError:
        kind = "whole number" if whole else "number"
        raise BadRequest(f"header {name} must be a {kind}, not {_shown(raw)!r}", param=name) from None
    low = 1 if whole else 0
    if not (math.isfinite(value) and low <= value <= maximum):
        raise BadRequest(
            f"header {name} must be between {low} and {maximum:g}, not {_shown(raw)}", param=name
        )
    return value


def _is_json(content_type: bytes) -> bool:
    """`application/json`, in any case, with or without parameters (`; charset=utf-8`)."""
    return content_type == _JSON or content_type.partition(b";")[0].strip().lower() == _JSON


def _unsupported_type(content_type: bytes | None) -> BadRequest:
    shown = "none" if content_type is None else repr(_shown(content_type))
    return BadRequest(
        f"The request's Content-Type is {shown}; the API accepts only 'application/json'.",
        status=415,
        code="unsupported_media_type",
    )


def _foreign_origin(origin: bytes) -> BadRequest:
    return BadRequest(
        f"Requests from the browser origin {_shown(origin)!r} are refused: fake_llm answers loopback "
        "origins only (start it with --allowed-origins to allow others).",
        status=403,
        code="origin_not_allowed",
    )


class HeaderRules:
    """The admission rules and pins, configured once per server.

    Args:
        origins: which `Origin` headers may call the API.
        max_output_tokens: the largest `x-fake-output-tokens` (the server's `--max-output-tokens`).
    """

    def __init__(self, *, origins: OriginPolicy, max_output_tokens: int) -> None:
        self._origins = origins
        self._max_tokens = max_output_tokens

    def check(self, headers: Headers) -> HeaderOverrides:
        """The `x-fake-*` pins among `headers`; the shared NO_OVERRIDES (no allocation) when there are none.

        Raises:
            BadRequest: 415 for a body that is not declared JSON, 403 for a foreign `Origin`, 400 for a pin
                that is not a number in range or a fault name.
        """
        content_type: bytes | None = None
        ttft_ms: float | None = None
        itl_ms: float | None = None
        output_tokens: int | None = None
        fault: FaultKind | None = None
        fault_set = False
        for name, value in headers:
            kind = _WATCHED.get(name)
            if kind is None:
                continue
            if kind == _CONTENT_TYPE:
                content_type = value
            elif kind == _ORIGIN:
                if not self._origins.allows(value):
                    raise _foreign_origin(value)
            elif kind == _TTFT:
                ttft_ms = _number("x-fake-ttft-ms", value, whole=False, maximum=MAX_PINNED_MS)
            elif kind == _ITL:
                itl_ms = _number("x-fake-itl-ms", value, whole=False, maximum=MAX_PINNED_MS)
            elif kind == _TOKENS:
                output_tokens = int(
                    _number("x-fake-output-tokens", value, whole=True, maximum=self._max_tokens)
                )
            else:
                try:
                    fault = parse_fault(value.decode("latin-1"))
                except ValueError as exc:
                    raise BadRequest(str(exc), param="x-fake-fault") from None
                fault_set = True
        if content_type is None or not _is_json(content_type):
            raise _unsupported_type(content_type)
        if ttft_ms is None and itl_ms is None and output_tokens is None and not fault_set:
            return NO_OVERRIDES
        return HeaderOverrides(
            ttft_ms=ttft_ms, itl_ms=itl_ms, output_tokens=output_tokens, fault=fault, fault_set=fault_set
        )
