"""The loop-lag histogram: one sample per heartbeat, how late the loop ran it.

Shared by the probe the bench reads (`awaitbench.detect.probe`) and by every watch (`WatchReport.lag`): a
DDSketch (1% relative accuracy, at most 2,048 bins: bounded over days), thread-safe because the monitor
thread records while another thread (the probe's side channel, the caller of `report()`) reads.
"""

from __future__ import annotations

import threading
from typing import Any

from awaitbench.detect.watchdog.report import LagSummary

__all__ = ["MAX_LAG_US", "LagHistogram"]

MAX_LAG_US = 3_600_000_000  # one hour: anything longer is clamped
_RELATIVE_ACCURACY = 0.01
_BIN_LIMIT = 2048  # 1% bins from 1 µs to an hour take ~2,200: the lowest collapse first


def _new_sketch() -> Any:
    from ddsketch import LogCollapsingLowestDenseDDSketch  # imported here: `detect` stays import-light

    return LogCollapsingLowestDenseDDSketch(relative_accuracy=_RELATIVE_ACCURACY, bin_limit=_BIN_LIMIT)


class LagHistogram:
    """Thread-safe lag samples (µs) since the last reset; the maximum is exact."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sketch: Any = None  # made at the first sample: a watch that sees none costs nothing
        self._max_us = 0

    def record(self, lag_s: float) -> None:
        lag_us = min(max(int(lag_s * 1e6), 1), MAX_LAG_US)
        with self._lock:
            if self._sketch is None:
                self._sketch = _new_sketch()
            self._sketch.add(lag_us)
            self._max_us = max(self._max_us, lag_us)

    def reset(self) -> None:
        with self._lock:
            self._sketch, self._max_us = None, 0

    def summary(self) -> LagSummary:
        with self._lock:
            sketch = self._sketch
            if sketch is None or not sketch.count:
                return LagSummary()
            return LagSummary(
                samples=int(sketch.count),
                p50_ms=_ms(sketch.get_quantile_value(0.50), self._max_us),
                p99_ms=_ms(sketch.get_quantile_value(0.99), self._max_us),
                max_ms=round(self._max_us / 1000.0, 3),
            )


def _ms(value_us: float, max_us: int) -> float:
    """A bin's value in ms, never above the exact maximum (a bin's midpoint can be)."""
    return round(min(value_us, max_us) / 1000.0, 3)
