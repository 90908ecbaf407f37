"""Per-request `x-fake-*` headers: pins that override the configured latency, length or fault of one request.

Tests and scenarios use them to force behaviour ("this call hangs", "this one takes 300 ms") without
restarting the server. A bad value is the client's mistake: BadRequest, which the engine answers with 400.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fake_llm.asgi import Headers
from fake_llm.config import FaultKind
from fake_llm.faults import parse_fault
from fake_llm.parsing import BadRequest

__all__ = ["NO_OVERRIDES", "HeaderOverrides", "parse_overrides"]


@dataclass(frozen=True, kw_only=True)
class HeaderOverrides:
    """What the headers pinned (None = not pinned). `fault_set` tells "x-fake-fault: none" from no header."""

    ttft_ms: float | None = None
    itl_ms: float | None = None
    output_tokens: int | None = None
    fault: FaultKind | None = None
    fault_set: bool = False


NO_OVERRIDES = HeaderOverrides()


def _number(name: str, raw: bytes, *, whole: bool) -> float:
    try:
        value = int(raw) if whole else float(raw)
    except ValueError:
        raise BadRequest(f"header {name} must be a {'whole ' if whole else ''}number, not {raw!r}") from None
    if not math.isfinite(value) or value < (1 if whole else 0):
        raise BadRequest(f"header {name} must be >= {1 if whole else 0}, not {raw.decode(errors='replace')}")
    return value


def parse_overrides(headers: Headers) -> HeaderOverrides:
    """The `x-fake-*` pins among `headers`; the shared NO_OVERRIDES (no allocation) when there are none.

    Raises:
        BadRequest: a pin with a value that is not a number >= 0 (>= 1 for a token count) or a fault name.
    """
    ttft_ms: float | None = None
    itl_ms: float | None = None
    output_tokens: int | None = None
    fault: FaultKind | None = None
    fault_set = False
    for name, value in headers:
        if not name.startswith(b"x-fake-"):
            continue
        if name == b"x-fake-ttft-ms":
            ttft_ms = _number("x-fake-ttft-ms", value, whole=False)
        elif name == b"x-fake-itl-ms":
            itl_ms = _number("x-fake-itl-ms", value, whole=False)
        elif name == b"x-fake-output-tokens":
            output_tokens = int(_number("x-fake-output-tokens", value, whole=True))
        elif name == b"x-fake-fault":
            try:
                fault = parse_fault(value.decode("latin-1"))
            except ValueError as exc:
                raise BadRequest(str(exc)) from None
            fault_set = True
    if ttft_ms is None and itl_ms is None and output_tokens is None and not fault_set:
        return NO_OVERRIDES
    return HeaderOverrides(
        ttft_ms=ttft_ms, itl_ms=itl_ms, output_tokens=output_tokens, fault=fault, fault_set=fault_set
    )
