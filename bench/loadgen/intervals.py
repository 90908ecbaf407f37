"""What the live closed loop (`live_loop`) reports each time it is asked: one interval's figures.

Answers, failures by kind, an encoded HDR latency histogram (intervals add up exactly) and the driver's
CPU."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = [
    "MAX_LATENCY_US",
    "Interval",
    "decode_histogram",
    "encode_histogram",
    "new_histogram",
    "record_latency",
]

# Latencies are kept from 1 µs to 60 s at 3 significant digits (0.1 % resolution); longer ones are clamped.
MAX_LATENCY_US = 60_000_000
_DIGITS = 3


def new_histogram() -> Any:
    """An empty latency histogram (µs)."""
    from hdrh.histogram import HdrHistogram

    return HdrHistogram(1, MAX_LATENCY_US, _DIGITS)


def record_latency(histogram: Any, latency_s: float) -> None:
    """Add one latency (seconds) to `histogram`, clamped to its range."""
    histogram.record_value(min(max(int(latency_s * 1e6), 1), MAX_LATENCY_US))


def encode_histogram(histogram: Any) -> str:
    """The histogram as compact text (HdrHistogram's own compressed, base64 encoding)."""
    encoded: bytes = histogram.encode()
    return encoded.decode("ascii")


def decode_histogram(text: str) -> Any:
    """The histogram `encode_histogram` wrote; an empty text is an empty histogram.

    Raises:
        ValueError: `text` is not an encoded histogram.
    """
    if not text:
        return new_histogram()
    from hdrh.histogram import HdrHistogram

    try:
        return HdrHistogram.decode(text.encode("ascii"))
    except Exception as exc:  # hdrh raises zlib, struct and its own errors alike
        raise ValueError(f"not an encoded latency histogram ({type(exc).__name__}: {exc})") from exc


@dataclass(frozen=True, kw_only=True)
class Interval:
    """One interval of the live closed loop.

    Args:
        start_s, end_s: the interval on the driver's monotonic clock (seconds).
        users: the users the driver was keeping busy at its end.
        completed: answers (HTTP 2xx/3xx) that ended inside it.
        errors: failures that ended inside it, by kind (`http_502`, `connect`, `connection_lost`, ...).
        latency_histogram: the completed answers' latencies, `encode_histogram` text.
        cpu_s: the driver's own CPU time (user + system) during it.
    """

    start_s: float
    end_s: float
    users: int
    completed: int
    errors: Mapping[str, int] = field(default_factory=dict)
    latency_histogram: str = ""
    cpu_s: float = 0.0

    @property
    def duration_s(self) -> float:
        return max(self.end_s - self.start_s, 0.0)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str | bytes) -> Interval:
        """Raises ValueError on anything that is not an interval."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("an interval is a JSON object")
        try:
            return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
        except TypeError as exc:
            raise ValueError(f"not an interval: {exc}") from exc
