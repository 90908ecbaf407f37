"""The `/stats` document as a typed value: what fake_llm serves and what the bench reads.

Its keys are a contract (docs/fake_llm.md); `from_json` rejects a missing or mistyped key by name."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

from pydantic import Strict, TypeAdapter, ValidationError

from fake_llm.errors import StatsFormatError

__all__ = ["SchedulingErrorMs", "StatsSnapshot"]

Count = Annotated[int, Strict()]  # a whole number: never "5", 1.5 or true
Number = Annotated[float, Strict()]  # an int is widened; never a string or a bool


@dataclass(frozen=True, kw_only=True)
class SchedulingErrorMs:
    """Actual minus intended completion time of the requests since the reset (ms; 0.05 ms buckets)."""

    p50: Number
    p99: Number
    max: Number
    count: Count


@dataclass(frozen=True, kw_only=True)
class StatsSnapshot:
    """fake_llm's counters since the last `POST /stats/reset` (gauges such as `in_flight` are "now")."""

    requests_total: Count
    requests_by_status: Mapping[str, Count]
    in_flight: Count
    queued: Count
    peak_in_flight: Count
    connections_opened: Count
    connections_open: Count
    requests_per_connection: Number
    rate_limited_total: Count
    server_errors_total: Count
    hangs_total: Count
    disconnects_total: Count
    trickles_total: Count
    tokens_out_total: Count
    tokens_in_total: Count
    scheduling_error_ms: SchedulingErrorMs
    uptime_s: Number
    since_reset_s: Number

    def to_json(self) -> dict[str, object]:
        """The `/stats` JSON document (key order as documented)."""
        document: dict[str, object] = _ADAPTER.dump_python(self, mode="json")
        return document

    @classmethod
    def from_json(cls, data: object) -> StatsSnapshot:
        """Read a `/stats` document (as `json.loads` returns it); unknown extra keys are ignored.

        Raises:
            StatsFormatError: a key missing or of the wrong type (the message names it).
        """
        try:
            return _ADAPTER.validate_python(data)
        except ValidationError as exc:
            error = exc.errors(include_url=False)[0]
            where = "/".join(str(part) for part in error["loc"]) or "the document"
            got = "" if error["type"] == "missing" else f", got {repr(error['input'])[:60]}"
            raise StatsFormatError(
                f"fake_llm /stats: {where}: {error['msg']}{got}; is the server a fake_llm of this version?"
            ) from None


_ADAPTER = TypeAdapter(StatsSnapshot)
