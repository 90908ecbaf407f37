"""The signals beyond throughput and p99 that prove a pitfall, read off a pitfall/fix pair of points.

Why: several pitfalls do not cost throughput at all, and some fixes cost a little. A forgotten `await` is
*faster* (it skips the write it loses), a retry storm answers as fast as backoff while it multiplies the
upstream's load, unbounded fan-out shows as 429s, buffering shows in the time to first byte. A summary
that only compared req/s would call those fixes "slower" and stop there; these phrases put the measured
evidence beside the ratios. Only figures that differ between the two points are reported, so a pair with
nothing to add gets no phrase. Pure logic over records: no scenario-specific code.
"""

from __future__ import annotations

from collections.abc import Callable

from bench.results import PointRecord

__all__ = ["pair_signals"]

_DIFFERENT = 1.15  # relative difference below which two per-request figures count as the same

_Figure = Callable[[PointRecord], float | None]


def _per_request(point: PointRecord, value: float | None) -> float | None:
    if value is None or point.requests <= 0:
        return None
    return value / point.requests


def _upstream_calls(point: PointRecord) -> float | None:
    return None if point.upstream is None else _per_request(point, point.upstream.requests)


def _connections(point: PointRecord) -> float | None:
    return None if point.upstream is None else point.upstream.connections_per_request


def _ttfb_p50(point: PointRecord) -> float | None:
    return None if point.ttfb is None else point.ttfb.p50_ms


def _app_ratio(key: str) -> _Figure:
    """A scenario counter per app request (e.g. records written per request), from the app's /app-stats."""

    def figure(point: PointRecord) -> float | None:
        stats = point.server.app_stats if point.server is not None else {}
        requests = stats.get("requests")
        # A counter the app never incremented is absent, not zero: the lost writes of a forgotten await.
        value = stats.get(key, 0)
        if not isinstance(value, int | float) or not isinstance(requests, int | float) or requests <= 0:
            return None
        return float(value) / float(requests)

    return figure


def _differ(a: float, b: float, min_gap: float) -> bool:
    low, high = sorted((abs(a), abs(b)))
    return high - low >= min_gap and (low == 0 or high / low >= _DIFFERENT)


def _compare(
    label: str, pitfall: PointRecord, fix: PointRecord, figure: _Figure, fmt: str, *, min_gap: float
) -> str | None:
    """`min_gap`: the smallest absolute difference worth a phrase (0.01 vs 0.03 connections is noise)."""
    a, b = figure(pitfall), figure(fix)
    if a is None or b is None or not _differ(a, b, min_gap):
        return None
    return f"{label} {a:{fmt}} vs {b:{fmt}}"


def _counts(label: str, a: int, b: int) -> str | None:
    return f"{label} {a} vs {b}" if a != b and max(a, b) > 0 else None


def pair_signals(pitfall: PointRecord | None, fix: PointRecord | None) -> tuple[str, ...]:
    """Phrases like "upstream 429s 533 vs 0", pitfall figure first; empty when a point is unusable."""
    if pitfall is None or fix is None or pitfall.status != "ok" or fix.status != "ok":
        return ()
    found = [
        _counts("failed requests", pitfall.failures, fix.failures),
        _counts(
            "upstream 429s",
            pitfall.upstream.rate_limited if pitfall.upstream else 0,
            fix.upstream.rate_limited if fix.upstream else 0,
        ),
        _compare("upstream calls/request", pitfall, fix, _upstream_calls, ".1f", min_gap=0.5),
        _compare("new connections/request", pitfall, fix, _connections, ".2f", min_gap=0.25),
        _compare("first byte p50 ms", pitfall, fix, _ttfb_p50, ".0f", min_gap=20.0),
        _compare("records written/request", pitfall, fix, _app_ratio("records_written"), ".2f", min_gap=0.1),
        _compare("attempts/request", pitfall, fix, _app_ratio("attempts"), ".1f", min_gap=0.5),
        _compare("gave up/request", pitfall, fix, _app_ratio("gave_up"), ".2f", min_gap=0.05),
    ]
    return tuple(phrase for phrase in found if phrase is not None)
