"""What the open-loop generator process is told to do: one typed object that travels as JSON."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import TypeAdapter

from bench.loadgen.schedule import ARRIVALS, Arrival

__all__ = ["DEFAULT_MAX_OUTSTANDING", "ExpectedLatency", "OpenLoopConfig"]

# Requests sent and not yet answered, at most: each holds one connection (HTTP/1.1, one request in
# flight per connection), so this also bounds the sockets an overloaded pitfall can make us open.
DEFAULT_MAX_OUTSTANDING = 1000


@dataclass(frozen=True, kw_only=True)
class ExpectedLatency:
    """The latency a server was configured with (`awaitbench perf`): each answer is judged against it.

    The intended arrival of token k is `ttft_ms + k * itl_ms` after the request was sent.
    """

    ttft_ms: float
    itl_ms: float
    output_tokens: int

    def intended_ms(self, token_index: int) -> float:
        """When token `token_index` (0-based) is due after the request left, in ms."""
        return self.ttft_ms + token_index * self.itl_ms


@dataclass(frozen=True, kw_only=True)
class OpenLoopConfig:
    """One run of the open-loop generator.

    Args:
        url: the full URL every request goes to (http, usually loopback).
        method, json_body, headers: the request (a scenario's `RequestSpec`, or a chat completion).
        stream: note the first body byte of every answer (time to first byte, from the intended time).
        count_tokens: count SSE token events per answer and stamp each (`awaitbench perf` streaming).
        arrival: "constant" (request i due at i / rate) or "poisson" (exponential gaps, seeded).
        rate_rps: requests per second offered, whatever the server does.
        seed: the Poisson schedule's seed.
        warmup_s: excluded load before the window.
        measure_s: the window (step mode), or how long the load may run at most (log mode: the parent
            stops it with SIGTERM when its own window ends; this is only the safety net).
        max_outstanding: requests sent and unanswered at most; a request due beyond it is not sent and
            counts as dropped (a failure), never silently skipped.
        expected: the server's configured latency (step mode: answers are judged as latency errors;
            closed-loop step: the Little bound).
        server_pid: a process whose CPU the step samples over the window (step modes).
        connections: > 0 makes the run a closed-loop step instead (`bench.loadgen.connections_step`):
            that many requests in flight, each connection sending its next request when the last one
            ends; `rate_rps` and `arrival` are then unused (`rate_rps` may be 0).
        requests_dir: log mode: wait for `ready_urls`, write `started-<pid>` and one line per request to
            `requests-<pid>.csv` there (the format of `bench.loadgen.logs`); None = step mode.
        ready_urls: URLs that must answer 200 before the schedule starts (log mode).
    """

    url: str
    rate_rps: float
    warmup_s: float
    measure_s: float
    method: Literal["GET", "POST"] = "POST"
    json_body: Mapping[str, Any] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    stream: bool = False
    count_tokens: bool = False
    arrival: Arrival = "constant"
    seed: int = 1
    max_outstanding: int = DEFAULT_MAX_OUTSTANDING
    expected: ExpectedLatency | None = None
    server_pid: int | None = None
    connections: int = 0
    requests_dir: str | None = None
    ready_urls: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"`url` must be an http:// URL with a host, got {self.url!r}")
        if self.connections < 0:
            raise ValueError(f"`connections` must be >= 0 (0 = open loop), got {self.connections}")
        if self.connections == 0 and (not math.isfinite(self.rate_rps) or self.rate_rps <= 0):
            raise ValueError(f"`rate_rps` must be a positive finite number, got {self.rate_rps!r}")
        if self.connections > self.max_outstanding:
            raise ValueError(
                f"`connections` ({self.connections}) must not exceed `max_outstanding` "
                f"({self.max_outstanding}): raise `max_outstanding` with it"
            )
        if self.connections and self.requests_dir is not None:
            raise ValueError(
                "a closed-loop step (`connections` > 0) has no log mode: leave `requests_dir` unset"
            )
        if self.warmup_s < 0 or self.measure_s <= 0:
            raise ValueError("`warmup_s` must be >= 0 and `measure_s` > 0")
        if self.max_outstanding < 1:
            raise ValueError(f"`max_outstanding` must be at least 1, got {self.max_outstanding}")
        if self.arrival not in ARRIVALS:
            raise ValueError(f"`arrival` must be one of {', '.join(ARRIVALS)}, got {self.arrival!r}")
        if self.count_tokens and self.expected is None:
            raise ValueError("`count_tokens` needs `expected` (how many tokens an answer has)")

    @property
    def logging(self) -> bool:
        """Log mode (one line per request, stopped by the parent) rather than a self-timed step."""
        return self.requests_dir is not None

    def to_json(self) -> str:
        return _ADAPTER.dump_json(self).decode()

    @classmethod
    def from_json(cls, text: str) -> OpenLoopConfig:
        """Raises pydantic's ValidationError (a ValueError) for a bad field, naming it."""
        return _ADAPTER.validate_json(text)


_ADAPTER = TypeAdapter(OpenLoopConfig)
