"""The `/stats` document as a typed value: what fake_llm serves and what the bench reads.

The JSON keys are a contract with the bench and are documented in docs/fake_llm.md ("`/stats` keys");
`to_json` writes exactly them, in that order, and `from_json` reads them back, rejecting a missing or
mistyped key with a message that names it, so a drift between the two sides fails loudly instead of
turning into zeros.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from fake_llm.errors import StatsFormatError

__all__ = ["SchedulingErrorMs", "StatsSnapshot"]


@dataclass(frozen=True, kw_only=True)
class SchedulingErrorMs:
    """Actual minus intended completion time of the requests since the reset (ms; 0.05 ms buckets)."""

    p50: float
    p99: float
    max: float
    count: int

    def to_json(self) -> dict[str, object]:
        return {"p50": self.p50, "p99": self.p99, "max": self.max, "count": self.count}

    @classmethod
    def from_json(cls, data: object) -> SchedulingErrorMs:
        """Raises StatsFormatError naming the first missing or mistyped key."""
        read = _Reader(data, "scheduling_error_ms.")
        return cls(
            p50=read.number("p50"), p99=read.number("p99"), max=read.number("max"), count=read.whole("count")
        )


@dataclass(frozen=True, kw_only=True)
class StatsSnapshot:
    """fake_llm's counters since the last `POST /stats/reset` (gauges such as `in_flight` are "now")."""

    requests_total: int
    requests_by_status: Mapping[str, int]
    in_flight: int
    queued: int
    peak_in_flight: int
    connections_opened: int
    connections_open: int
    requests_per_connection: float
    rate_limited_total: int
    server_errors_total: int
    hangs_total: int
    disconnects_total: int
    trickles_total: int
    tokens_out_total: int
    tokens_in_total: int
    scheduling_error_ms: SchedulingErrorMs
    uptime_s: float
    since_reset_s: float

    def to_json(self) -> dict[str, object]:
        """The `/stats` JSON document (key order as documented)."""
        document: dict[str, object] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, SchedulingErrorMs):
                document[f.name] = value.to_json()
            elif isinstance(value, Mapping):
                document[f.name] = dict(value)
            else:
                document[f.name] = value
        return document

    @classmethod
    def from_json(cls, data: object) -> StatsSnapshot:
        """Read a `/stats` document (as `json.loads` returns it); unknown extra keys are ignored.

        Raises:
            StatsFormatError: a key missing or of the wrong type (the message names it).
        """
        read = _Reader(data, "")
        return cls(
            requests_total=read.whole("requests_total"),
            requests_by_status=read.counts("requests_by_status"),
            in_flight=read.whole("in_flight"),
            queued=read.whole("queued"),
            peak_in_flight=read.whole("peak_in_flight"),
            connections_opened=read.whole("connections_opened"),
            connections_open=read.whole("connections_open"),
            requests_per_connection=read.number("requests_per_connection"),
            rate_limited_total=read.whole("rate_limited_total"),
            server_errors_total=read.whole("server_errors_total"),
            hangs_total=read.whole("hangs_total"),
            disconnects_total=read.whole("disconnects_total"),
            trickles_total=read.whole("trickles_total"),
            tokens_out_total=read.whole("tokens_out_total"),
            tokens_in_total=read.whole("tokens_in_total"),
            scheduling_error_ms=SchedulingErrorMs.from_json(read.value("scheduling_error_ms")),
            uptime_s=read.number("uptime_s"),
            since_reset_s=read.number("since_reset_s"),
        )


class _Reader:
    """Typed reads from one JSON object; every failure names the key (with `prefix`, e.g. "p99" nested)."""

    def __init__(self, data: object, prefix: str) -> None:
        where = f"{prefix.rstrip('.')} " if prefix else "the document "
        if not isinstance(data, Mapping):
            raise StatsFormatError(
                f"fake_llm /stats: {where}must be a JSON object, not {type(data).__name__}"
            )
        self._data = data
        self._prefix = prefix

    def value(self, key: str) -> object:
        if key not in self._data:
            raise StatsFormatError(
                f"fake_llm /stats: key {self._prefix}{key} is missing; is the server a fake_llm of this "
                "version?"
            )
        return self._data[key]

    def _wrong(self, key: str, wanted: str, value: object) -> StatsFormatError:
        return StatsFormatError(f"fake_llm /stats: {self._prefix}{key} must be {wanted}, not {value!r}")

    def whole(self, key: str) -> int:
        """A whole number (never a bool: JSON true is not a count)."""
        value = self.value(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise self._wrong(key, "a whole number", value)

    def number(self, key: str) -> float:
        """A number (an int is widened)."""
        value = self.value(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise self._wrong(key, "a number", value)

    def counts(self, key: str) -> Mapping[str, int]:
        """An object of whole numbers, e.g. `{"200": 5}`."""
        nested = _Reader(self.value(key), f"{self._prefix}{key}.")
        return MappingProxyType({name: nested.whole(name) for name in nested._data})
