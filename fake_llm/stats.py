"""Server-side counters for `/stats` (JSON, resettable) and `/metrics` (Prometheus, cumulative).

The hot path only increments ints and one histogram bucket; percentiles and text are computed when
asked for. Two views are kept: `since_reset` (the bench zeroes it between measured points) and
`lifetime` (Prometheus counters must never go backwards).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

__all__ = ["ERROR_BUCKET_MS", "SCHED_BUCKETS_MS", "ServerStats", "Window"]

# /stats percentiles: 0.05 ms resolution up to 2 s, everything later in the last bucket.
ERROR_BUCKET_MS = 0.05
_ERROR_BUCKETS = 40_000
# /metrics histogram upper bounds (ms).
SCHED_BUCKETS_MS: tuple[float, ...] = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 250.0, 1000.0)


@dataclass
class Window:
    """Counters over one period (since the last reset, or since start)."""

    started_s: float = field(default_factory=time.monotonic)
    requests_total: int = 0
    requests_by_status: Counter[str] = field(default_factory=Counter)
    requests_by_route: Counter[tuple[str, str]] = field(default_factory=Counter)
    peak_in_flight: int = 0
    connections_opened: int = 0
    rate_limited_total: int = 0
    server_errors_total: int = 0
    hangs_total: int = 0
    disconnects_total: int = 0
    trickles_total: int = 0
    tokens_out_total: int = 0
    tokens_in_total: int = 0
    error_buckets: list[int] = field(default_factory=lambda: [0] * (_ERROR_BUCKETS + 1))
    error_count: int = 0
    error_sum_ms: float = 0.0
    error_max_ms: float = 0.0

    def percentile_ms(self, q: float) -> float:
        if self.error_count == 0:
            return 0.0
        rank = max(1, int(q * self.error_count + 0.999999))
        seen = 0
        for index, count in enumerate(self.error_buckets):
            seen += count
            if seen >= rank:
                return min((index + 1) * ERROR_BUCKET_MS, self.error_max_ms)
        return self.error_max_ms


class ServerStats:
    """All counters of one server process; single-threaded (event loop) use only."""

    def __init__(self) -> None:
        self.started_s = time.monotonic()
        self.in_flight = 0
        self.queued = 0
        self.connections_open = 0
        self.window = Window()
        self.lifetime = Window()

    def reset(self) -> None:
        """Zero the counters and peaks; requests now in flight still count as in flight."""
        self.window = Window(peak_in_flight=self.in_flight)

    def request_started(self) -> None:
        self.in_flight += 1
        for w in (self.window, self.lifetime):
            if self.in_flight > w.peak_in_flight:
                w.peak_in_flight = self.in_flight

    def request_finished(self, *, route: str, status: str, tokens_out: int = 0, tokens_in: int = 0) -> None:
        self.in_flight -= 1
        for w in (self.window, self.lifetime):
            w.requests_total += 1
            w.requests_by_status[status] += 1
            w.requests_by_route[(route, status)] += 1
            w.tokens_out_total += tokens_out
            w.tokens_in_total += tokens_in
            if status == "429":
                w.rate_limited_total += 1
            elif status.startswith("5"):
                w.server_errors_total += 1

    def count(self, counter: str) -> None:
        """Increment a named counter ("hangs_total", "disconnects_total", ...) in both windows."""
        for w in (self.window, self.lifetime):
            setattr(w, counter, getattr(w, counter) + 1)

    def connection_opened(self) -> None:
        self.window.connections_opened += 1
        self.lifetime.connections_opened += 1

    def scheduling_error(self, error_ms: float) -> None:
        """Record actual minus intended completion time (early wake-ups count as 0)."""
        error_ms = max(error_ms, 0.0)
        index = min(int(error_ms / ERROR_BUCKET_MS), _ERROR_BUCKETS)
        for w in (self.window, self.lifetime):
            w.error_buckets[index] += 1
            w.error_count += 1
            w.error_sum_ms += error_ms
            if error_ms > w.error_max_ms:
                w.error_max_ms = error_ms

    def snapshot(self) -> dict[str, object]:
        """The `/stats` document (names are a contract with the bench: see docs/contracts.md)."""
        w = self.window
        now = time.monotonic()
        return {
            "requests_total": w.requests_total,
            "requests_by_status": dict(sorted(w.requests_by_status.items())),
            "in_flight": self.in_flight,
            "queued": self.queued,
            "peak_in_flight": w.peak_in_flight,
            "connections_opened": w.connections_opened,
            "connections_open": self.connections_open,
            "requests_per_connection": (w.requests_total / w.connections_opened)
            if w.connections_opened
            else 0.0,
            "rate_limited_total": w.rate_limited_total,
            "server_errors_total": w.server_errors_total,
            "hangs_total": w.hangs_total,
            "disconnects_total": w.disconnects_total,
            "trickles_total": w.trickles_total,
            "tokens_out_total": w.tokens_out_total,
            "tokens_in_total": w.tokens_in_total,
            "scheduling_error_ms": {
                "p50": w.percentile_ms(0.50),
                "p99": w.percentile_ms(0.99),
                "max": w.error_max_ms,
                "count": w.error_count,
            },
            "uptime_s": now - self.started_s,
            "since_reset_s": now - w.started_s,
        }
