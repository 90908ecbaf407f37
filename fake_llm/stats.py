"""Server-side counters for `/stats` (a StatsSnapshot, resettable) and `/metrics` (Prometheus, cumulative).

The hot path only bumps cumulative counters (one Counter entry, a few ints, one histogram bucket). A reset
does not zero them (Prometheus counters must never go backwards): it stores a copy as the baseline, and
`/stats` reports the difference. Percentiles and text are computed when asked for.
"""

from __future__ import annotations

import array
import copy
import time
from collections import Counter

from fake_llm.snapshot import SchedulingErrorMs, StatsSnapshot

__all__ = ["ERROR_BUCKET_MS", "SCHED_BUCKETS_MS", "Counts", "ServerStats"]

# /stats percentiles: 0.05 ms resolution up to 2 s, everything later in the last bucket.
ERROR_BUCKET_MS = 0.05
_ERROR_BUCKETS = 40_000
# /metrics histogram upper bounds (ms).
SCHED_BUCKETS_MS: tuple[float, ...] = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 250.0, 1000.0)


class Counts:
    """Cumulative counters since start (a baseline copy of them marks the last reset)."""

    def __init__(self) -> None:
        self.by_route: Counter[tuple[str, str]] = Counter()
        self.connections_opened = 0
        self.hangs_total = 0
        self.disconnects_total = 0
        self.trickles_total = 0
        self.tokens_out_total = 0
        self.tokens_in_total = 0
        # array, not list: not tracked by the garbage collector, cheap to copy on reset.
        self.error_buckets = array.array("q", bytes(8 * (_ERROR_BUCKETS + 1)))
        self.error_count = 0
        self.error_sum_ms = 0.0

    def by_status(self) -> Counter[str]:
        statuses: Counter[str] = Counter()
        for (_, status), count in self.by_route.items():
            statuses[status] += count
        return statuses


def _percentile_ms(buckets: list[int], count: int, q: float, max_ms: float) -> float:
    if count == 0:
        return 0.0
    rank = max(1, int(q * count + 0.999999))
    seen = 0
    for index, n in enumerate(buckets):
        seen += n
        if seen >= rank:
            return min((index + 1) * ERROR_BUCKET_MS, max_ms)
    return max_ms


class ServerStats:
    """All counters of one server process; single-threaded (event loop) use only."""

    def __init__(self) -> None:
        self.started_s = time.monotonic()
        self.in_flight = 0
        self.queued = 0
        self.connections_open = 0
        self.peak_in_flight = 0  # since start
        self.totals = Counts()
        self._baseline = Counts()
        self._reset_s = self.started_s
        self._window_peak = 0
        self._window_error_max_ms = 0.0

    def reset(self) -> None:
        """Zero the `/stats` view; requests now in flight still count as in flight."""
        self._baseline = copy.deepcopy(self.totals)
        self._reset_s = time.monotonic()
        self._window_peak = self.in_flight
        self._window_error_max_ms = 0.0

    def request_started(self) -> None:
        self.in_flight += 1
        if self.in_flight > self._window_peak:
            self._window_peak = self.in_flight
            if self.in_flight > self.peak_in_flight:
                self.peak_in_flight = self.in_flight

    def request_finished(self, route: str, status: str, tokens_out: int = 0, tokens_in: int = 0) -> None:
        self.in_flight -= 1
        totals = self.totals
        totals.by_route[(route, status)] += 1
        totals.tokens_out_total += tokens_out
        totals.tokens_in_total += tokens_in

    def hang(self) -> None:
        """A request was hung on purpose (a fault)."""
        self.totals.hangs_total += 1

    def disconnect(self) -> None:
        """An answer was cut after it began: by the disconnect fault, or by a client that left."""
        self.totals.disconnects_total += 1

    def trickle(self) -> None:
        """A response is sent as a slow trickle (a fault)."""
        self.totals.trickles_total += 1

    def connection_opened(self) -> None:
        self.totals.connections_opened += 1

    def scheduling_error(self, error_ms: float) -> None:
        """Record actual minus intended completion time (early wake-ups count as 0)."""
        if error_ms < 0.0:
            error_ms = 0.0
        totals = self.totals
        totals.error_buckets[min(int(error_ms / ERROR_BUCKET_MS), _ERROR_BUCKETS)] += 1
        totals.error_count += 1
        totals.error_sum_ms += error_ms
        if error_ms > self._window_error_max_ms:
            self._window_error_max_ms = error_ms

    def snapshot(self) -> StatsSnapshot:
        """The `/stats` view since the last reset (`.to_json()` is the document the route serves)."""
        now, t, b = time.monotonic(), self.totals, self._baseline
        by_status = t.by_status()
        by_status.subtract(b.by_status())
        statuses = {status: n for status, n in sorted(by_status.items()) if n}
        requests = sum(statuses.values())
        connections = t.connections_opened - b.connections_opened
        errors = t.error_count - b.error_count
        buckets = [x - y for x, y in zip(t.error_buckets, b.error_buckets, strict=True)]
        max_ms = self._window_error_max_ms
        return StatsSnapshot(
            requests_total=requests,
            requests_by_status=statuses,
            in_flight=self.in_flight,
            queued=self.queued,
            peak_in_flight=self._window_peak,
            connections_opened=connections,
            connections_open=self.connections_open,
            requests_per_connection=requests / connections if connections else 0.0,
            rate_limited_total=statuses.get("429", 0),
            server_errors_total=sum(n for status, n in statuses.items() if status.startswith("5")),
            hangs_total=t.hangs_total - b.hangs_total,
            disconnects_total=t.disconnects_total - b.disconnects_total,
            trickles_total=t.trickles_total - b.trickles_total,
            tokens_out_total=t.tokens_out_total - b.tokens_out_total,
            tokens_in_total=t.tokens_in_total - b.tokens_in_total,
            scheduling_error_ms=SchedulingErrorMs(
                p50=_percentile_ms(buckets, errors, 0.50, max_ms),
                p99=_percentile_ms(buckets, errors, 0.99, max_ms),
                max=max_ms,
                count=errors,
            ),
            uptime_s=now - self.started_s,
            since_reset_s=now - self._reset_s,
        )
