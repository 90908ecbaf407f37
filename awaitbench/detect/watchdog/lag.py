"""The loop-lag histogram: one sample per heartbeat, how late the loop ran it.

Shared by the probe the bench reads (`awaitbench.detect.probe`) and by every watch (`WatchReport.lag`): an HDR
histogram in microseconds, thread-safe because the monitor thread records while another thread (the
probe's side channel, the caller of `report()`) reads.
"""

from __future__ import annotations

import threading
from typing import Any

from awaitbench.detect.watchdog.report import LagSummary

__all__ = ["MAX_LAG_US", "LagHistogram"]

MAX_LAG_US = 3_600_000_000  # one hour: anything longer is clamped


def _new_histogram() -> Any:
    from hdrh.histogram import HdrHistogram  # imported here: `detect` stays import-light

    return HdrHistogram(1, MAX_LAG_US, 3)


class LagHistogram:
    """Thread-safe lag samples (µs, 3 significant digits) since the last reset."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hist: Any = None  # built at the first sample: a watch that never measures lag pays nothing

    def record(self, lag_s: float) -> None:
        lag_us = min(max(int(lag_s * 1e6), 1), MAX_LAG_US)
        with self._lock:
            if self._hist is None:
                self._hist = _new_histogram()
            self._hist.record_value(lag_us)

    def reset(self) -> None:
        with self._lock:
            self._hist = None

    def summary(self) -> LagSummary:
        with self._lock:
            count = self._hist.get_total_count() if self._hist is not None else 0
            if not count:
                return LagSummary()
            return LagSummary(
                samples=count,
                p50_ms=round(self._hist.get_value_at_percentile(50) / 1000.0, 3),
                p99_ms=round(self._hist.get_value_at_percentile(99) / 1000.0, 3),
                max_ms=round(self._hist.get_max_value() / 1000.0, 3),
            )
