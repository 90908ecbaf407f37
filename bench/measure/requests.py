"""Exact client-side figures of a window, from every request the load generator recorded.

Throughput counts requests answered in the window; latency covers every request issued in it, unanswered
and dropped ones as lower bounds (`bench.measure.censoring`)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bench.loadgen.logs import DROPPED
from bench.measure.censoring import Survival, survival
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
    """Every request of one generator run: start and end (epoch s; end = inf for a request never answered),
    latency (ms; NaN when never answered), success, the time to the first body byte (ms; NaN when the
    request was not streamed), the open loop's schedule lag (ms; NaN for Locust or a dropped request) and
    whether the open loop dropped it (never sent: `max_outstanding` were in flight)."""

    start_s: np.ndarray
    end_s: np.ndarray
    latency_ms: np.ndarray
    ok: np.ndarray
    ttfb_ms: np.ndarray
    lag_ms: np.ndarray
    dropped: np.ndarray


@dataclass(frozen=True, kw_only=True)
class WindowCounts:
    """What one window's request log says, before any figure is derived from it.

    Args:
        requests: answered inside the window (successfully or not): the throughput's population.
        failures: of those, answered with an error.
        answered_ms: latencies of the requests issued in the window and answered before its end.
        censored_ms: ages at the window's end of the requests issued in it and still unanswered.
        ttfb_ms: time to first byte of the successful streamed requests issued and answered in the window.
        ok_per_half: successful answers in the window's first and second halves (the steady-state check).
        in_flight_age_ms: mean age of the requests in flight at the window's middle and at its end.
        in_flight_whole_window: requests in flight when the window started and still when it ended.
        issued: requests issued (due, for the open loop) in the window, dropped ones included.
        dropped_ms: ages at the window's end of the requests due in it that the open loop dropped (they
            also count in `requests` and `failures`).
        lag_ms: the open loop's schedule lag of the requests it sent in the window (empty for Locust).
        in_flight_count: requests in flight at the window's start and at its end (the backlog).
    """

    requests: int
    failures: int
    answered_ms: np.ndarray
    censored_ms: np.ndarray
    ttfb_ms: np.ndarray
    ok_per_half: tuple[int, int] = (0, 0)
    in_flight_age_ms: tuple[float, float] = (0.0, 0.0)
    in_flight_whole_window: int = 0
    issued: int = 0
    dropped_ms: np.ndarray = field(default_factory=lambda: np.array([], dtype=float))
    lag_ms: np.ndarray = field(default_factory=lambda: np.array([], dtype=float))
    in_flight_count: tuple[int, int] = (0, 0)

    @property
    def dropped(self) -> int:
        return int(self.dropped_ms.size)

    @property
    def lower_bound_ms(self) -> np.ndarray:
        """Ages of every request issued in the window with no answer by its end: in flight or dropped."""
        return np.concatenate([self.censored_ms, self.dropped_ms])


_Row = tuple[float, float, bool, float, float, bool]


def _parse(line: str) -> _Row | None:
    """(start, latency or NaN, ok, ttfb or NaN, lag or NaN, dropped) of one log line; None for a torn or
    foreign line."""
    parts = line.split(",")
    if len(parts) not in (3, 4, 5):
        return None
    try:
        start = float(parts[0])
        extra = parts[4] if len(parts) == 5 else ""
        if extra == DROPPED:
            return start, math.nan, False, math.nan, math.nan, True
        lag = float(extra) if extra else math.nan
        if not parts[1]:  # written when the generator stopped: the request never answered
            return start, math.nan, False, math.nan, lag, False
        latency, ok = float(parts[1]), parts[2] == "1"
        ttfb = float(parts[3]) if len(parts) >= 4 and parts[3] else math.nan
    except ValueError:
        return None
    return start, latency, ok, ttfb, lag, False


def read_request_logs(paths: Iterable[Path]) -> RequestLog:
    """Concatenate the per-process CSV files; a torn last line (process killed mid-write) is skipped.

    Lines have 4 fields (the 4th, `ttfb_ms`, empty unless streamed), or 5 from the open loop (its lag, or
    `dropped`); 3-field lines of older logs are read as not streamed; a line with an empty latency is a
    request that never answered.
    """
    rows = [row for path in paths for line in path.read_text().splitlines() if (row := _parse(line))]
    columns = list(zip(*rows, strict=True)) if rows else [()] * 6
    start_s = np.asarray(columns[0], dtype=float)
    latency_ms = np.asarray(columns[1], dtype=float)
    end_s = np.where(np.isnan(latency_ms), np.inf, start_s + np.nan_to_num(latency_ms) / 1000.0)
    return RequestLog(
        start_s=start_s,
        end_s=end_s,
        latency_ms=latency_ms,
        ok=np.asarray(columns[2], dtype=bool),
        ttfb_ms=np.asarray(columns[3], dtype=float),
        lag_ms=np.asarray(columns[4], dtype=float),
        dropped=np.asarray(columns[5], dtype=bool),
    )


def _in_flight(log: RequestLog, at_s: float) -> np.ndarray:
    """Requests sent before `at_s` and answered at or after it (a dropped request was never sent)."""
    mask: np.ndarray = (log.start_s < at_s) & (log.end_s >= at_s) & ~log.dropped
    return mask


def _mean_age_ms(log: RequestLog, at_s: float) -> float:
    """Mean age at `at_s` of the requests in flight then."""
    in_flight = _in_flight(log, at_s)
    return float((at_s - log.start_s[in_flight]).mean() * 1000.0) if in_flight.any() else 0.0


def window_counts(log: RequestLog, *, start_s: float, end_s: float) -> WindowCounts:
    """The window [start_s, end_s): answers inside it, and every request issued inside it.

    A dropped request issued inside the window counts as a failed answer at its intended time (in
    `requests` and `failures`) and, for the latency, as a request with no answer (its age at the window's
    end, a lower bound).
    """
    issued = (log.start_s >= start_s) & (log.start_s < end_s)
    dropped = issued & log.dropped
    answered_inside = (log.end_s >= start_s) & (log.end_s < end_s)
    answered_in_time = issued & (log.end_s < end_s)
    still_in_flight = issued & (log.end_s >= end_s) & ~log.dropped
    ok_inside = answered_inside & log.ok
    middle_s = (start_s + end_s) / 2.0
    first_half = log.end_s < middle_s
    streamed_ok = answered_in_time & log.ok & ~np.isnan(log.ttfb_ms)
    sent = issued & ~log.dropped & ~np.isnan(log.lag_ms)
    return WindowCounts(
        requests=int(answered_inside.sum() + dropped.sum()),
        failures=int((answered_inside & ~log.ok).sum() + dropped.sum()),
        answered_ms=log.latency_ms[answered_in_time],
        censored_ms=(end_s - log.start_s[still_in_flight]) * 1000.0,
        ttfb_ms=log.ttfb_ms[streamed_ok],
        ok_per_half=(int((ok_inside & first_half).sum()), int((ok_inside & ~first_half).sum())),
        in_flight_age_ms=(_mean_age_ms(log, middle_s), _mean_age_ms(log, end_s)),
        in_flight_whole_window=int((_in_flight(log, start_s) & (log.end_s >= end_s)).sum()),
        issued=int(issued.sum()),
        dropped_ms=(end_s - log.start_s[dropped]) * 1000.0,
        lag_ms=log.lag_ms[sent],
        in_flight_count=(int(_in_flight(log, start_s).sum()), int(_in_flight(log, end_s).sum())),
    )


def _cdf_from(estimate: Survival, points: int) -> tuple[tuple[float, float], ...]:
    if estimate.times.size == 0:
        return ()
    half = max(points // 2, 1)
    top = float(estimate.cdf[-1])
    fractions = np.unique(np.concatenate([np.linspace(0.0, 1.0, half + 1)[1:], np.linspace(0.9, 1.0, half)]))
    fractions = fractions[fractions <= top + 1e-12]
    indices = np.searchsorted(estimate.cdf, fractions - 1e-12, side="left")
    indices = np.unique(np.append(np.clip(indices, 0, estimate.times.size - 1), estimate.times.size - 1))
    return tuple((round(float(estimate.times[i]), 3), round(float(estimate.cdf[i]), 6)) for i in indices)


def cdf_points(
    latency_ms: np.ndarray, censored_ms: np.ndarray | None = None, *, points: int = CDF_POINTS
) -> tuple[tuple[float, float], ...]:
    """Downsampled CDF: [(latency_ms, fraction)], ascending, ending at the last answer (fraction 1.0, or
    less by the share still unanswered).

    Half the points are spread evenly over the fractions, half over the tail (0.9 .. 1.0), because
    the tail is where pitfalls show.
    """
    empty = np.array([], dtype=float)
    return _cdf_from(survival(latency_ms, empty if censored_ms is None else censored_ms), points)


_PERCENTILES = (("p50_ms", 0.50), ("p90_ms", 0.90), ("p95_ms", 0.95), ("p99_ms", 0.99), ("p999_ms", 0.999))


def latency_summary(latency_ms: np.ndarray, censored_ms: np.ndarray | None = None) -> LatencySummary | None:
    """Exact percentiles (smallest latency with F >= q, Kaplan-Meier over censored requests) and a
    downsampled CDF; None without any request. Figures that rest on unanswered requests are named in
    `lower_bounds`."""
    censored = np.array([], dtype=float) if censored_ms is None else np.asarray(censored_ms, dtype=float)
    estimate = survival(latency_ms, censored)
    if estimate.count == 0:
        return None
    figures = {name: estimate.quantile(q) for name, q in _PERCENTILES}
    figures["mean_ms"] = estimate.mean()
    answered = np.asarray(latency_ms, dtype=float)
    lower_bounds = [name for name, figure in figures.items() if figure.lower_bound]
    # The longest wait: an answer, or the age of a request older than every answer (a lower bound). The
    # shortest: the fastest answer (the youngest in-flight request says nothing about it).
    longest = max(
        float(answered.max()) if answered.size else 0.0, float(censored.max()) if censored.size else 0.0
    )
    if censored.size and (not answered.size or censored.max() > answered.max()):
        lower_bounds.append("max_ms")
    shortest = float(answered.min()) if answered.size else float(censored.min())
    if not answered.size:
        lower_bounds.append("min_ms")
    order = ("mean_ms", *(name for name, _ in _PERCENTILES), "max_ms", "min_ms")
    return LatencySummary(
        count=estimate.count,
        mean_ms=round(figures["mean_ms"].value, 3),
        p50_ms=round(figures["p50_ms"].value, 3),
        p90_ms=round(figures["p90_ms"].value, 3),
        p95_ms=round(figures["p95_ms"].value, 3),
        p99_ms=round(figures["p99_ms"].value, 3),
        p999_ms=round(figures["p999_ms"].value, 3),
        max_ms=round(longest, 3),
        min_ms=round(shortest, 3),
        cdf=_cdf_from(estimate, CDF_POINTS),
        censored=estimate.censored,
        lower_bounds=tuple(name for name in order if name in lower_bounds),
    )
