"""Exact client-side figures of a window, from every request Locust recorded.

Why not Locust's own percentiles: they are rounded into buckets (10 ms steps above 100 ms, 100 ms
steps above 1 s), which hides exactly the differences this project measures. The locustfile writes
one line per request (`start_epoch_s,response_time_ms,ok,ttfb_ms`; `ttfb_ms` only for streamed
requests); here they are filtered to the window and summarised with numpy.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.results import LatencySummary

__all__ = [
    "CDF_POINTS",
    "RequestLog",
    "WindowCounts",
    "cdf_points",
    "latency_summary",
    "read_request_logs",
    "window_counts",
]

CDF_POINTS = 200


@dataclass(frozen=True)
class RequestLog:
    """Every request of one Locust run: completion time (epoch s), latency (ms), success, and the time
    to the first body byte (ms; NaN when the request was not streamed)."""

    end_s: np.ndarray
    latency_ms: np.ndarray
    ok: np.ndarray
    ttfb_ms: np.ndarray


@dataclass(frozen=True, kw_only=True)
class WindowCounts:
    """The requests that completed inside a window."""

    requests: int
    failures: int
    latency_ms: np.ndarray  # of the successful requests
    ttfb_ms: np.ndarray  # of the successful streamed requests (empty when none was streamed)


def read_request_logs(paths: Iterable[Path]) -> RequestLog:
    """Concatenate the per-process CSV files; a torn last line (process killed mid-write) is skipped.

    Lines have 4 fields (the 4th, `ttfb_ms`, empty unless streamed); 3-field lines of older logs are read
    as not streamed.
    """
    starts: list[float] = []
    latencies: list[float] = []
    oks: list[bool] = []
    ttfbs: list[float] = []
    for path in paths:
        for line in path.read_text().splitlines():
            parts = line.split(",")
            if len(parts) not in (3, 4):
                continue
            try:
                start, latency, ok = float(parts[0]), float(parts[1]), parts[2] == "1"
                ttfb = float(parts[3]) if len(parts) == 4 and parts[3] else math.nan
            except ValueError:
                continue
            starts.append(start)
            latencies.append(latency)
            oks.append(ok)
            ttfbs.append(ttfb)
    latency_ms = np.asarray(latencies, dtype=float)
    return RequestLog(
        end_s=np.asarray(starts, dtype=float) + latency_ms / 1000.0,
        latency_ms=latency_ms,
        ok=np.asarray(oks, dtype=bool),
        ttfb_ms=np.asarray(ttfbs, dtype=float),
    )


def window_counts(log: RequestLog, *, start_s: float, end_s: float) -> WindowCounts:
    """Requests that completed in [start_s, end_s): the steady-state window, warm-up excluded."""
    inside = (log.end_s >= start_s) & (log.end_s < end_s)
    ok = inside & log.ok
    return WindowCounts(
        requests=int(inside.sum()),
        failures=int((inside & ~log.ok).sum()),
        latency_ms=log.latency_ms[ok],
        ttfb_ms=log.ttfb_ms[ok & ~np.isnan(log.ttfb_ms)],
    )


def cdf_points(latency_ms: np.ndarray, *, points: int = CDF_POINTS) -> tuple[tuple[float, float], ...]:
    """Downsampled empirical CDF: [(latency_ms, fraction)], ascending, ending at (max, 1.0).

    Half the points are spread evenly over the fractions, half over the tail (0.9 .. 1.0), because
    the tail is where pitfalls show.
    """
    n = latency_ms.size
    if n == 0:
        return ()
    ordered = np.sort(latency_ms)
    half = max(points // 2, 1)
    fractions = np.unique(np.concatenate([np.linspace(0.0, 1.0, half + 1)[1:], np.linspace(0.9, 1.0, half)]))
    indices = np.clip(np.ceil(fractions * n).astype(int) - 1, 0, n - 1)
    pairs: list[tuple[float, float]] = []
    for index in np.unique(indices):
        pairs.append((round(float(ordered[index]), 3), round((int(index) + 1) / n, 6)))
    return tuple(pairs)


def latency_summary(latency_ms: np.ndarray) -> LatencySummary | None:
    """Exact percentiles (numpy's linear interpolation) and a downsampled CDF; None without samples."""
    if latency_ms.size == 0:
        return None
    p50, p90, p95, p99, p999 = np.percentile(latency_ms, [50, 90, 95, 99, 99.9])
    return LatencySummary(
        count=int(latency_ms.size),
        mean_ms=round(float(latency_ms.mean()), 3),
        p50_ms=round(float(p50), 3),
        p90_ms=round(float(p90), 3),
        p95_ms=round(float(p95), 3),
        p99_ms=round(float(p99), 3),
        p999_ms=round(float(p999), 3),
        max_ms=round(float(latency_ms.max()), 3),
        min_ms=round(float(latency_ms.min()), 3),
        cdf=cdf_points(latency_ms),
    )
