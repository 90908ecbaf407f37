"""Named figures of a point record: the vocabulary scenarios use to declare where their evidence is.

A scenario cannot import bench, so it names a figure by string (`"upstream_429s"`,
`"app:records_written/request"`); this module is the one place that turns such a name into a number
read off a `PointRecord`. `check_figure` lets the bench reject an unknown name before a run starts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from bench.results.records import PointRecord

__all__ = ["APP_COUNTER_PREFIX", "FIGURES", "check_figure", "figure_value"]

APP_COUNTER_PREFIX = "app:"
_PER_REQUEST = "/request"


def _per_request(point: PointRecord, value: float | None) -> float | None:
    if value is None or point.requests <= 0:
        return None
    return value / point.requests


def _upstream_calls(point: PointRecord) -> float | None:
    return None if point.upstream is None else _per_request(point, point.upstream.requests)


def _connections(point: PointRecord) -> float | None:
    return None if point.upstream is None else point.upstream.connections_per_request


def _rate_limited(point: PointRecord) -> float | None:
    return float(point.upstream.rate_limited) if point.upstream is not None else 0.0


def _ttfb_p50(point: PointRecord) -> float | None:
    return None if point.ttfb is None else point.ttfb.p50_ms


FIGURES: Mapping[str, Callable[[PointRecord], float | None]] = {
    "failures": lambda point: float(point.failures),
    "upstream_429s": _rate_limited,
    "upstream_calls_per_request": _upstream_calls,
    "new_connections_per_request": _connections,
    "ttfb_p50_ms": _ttfb_p50,
}


def _app_counter(point: PointRecord, counter: str) -> float | None:
    """A scenario counter per app request (e.g. records written per request), from the app's /app-stats."""
    stats = point.server.app_stats if point.server is not None else {}
    requests = stats.get("requests")
    # A counter the app never incremented is absent, not zero: the lost writes of a forgotten await.
    value = stats.get(counter, 0)
    if not isinstance(value, int | float) or not isinstance(requests, int | float) or requests <= 0:
        return None
    return float(value) / float(requests)


def check_figure(name: str) -> None:
    """Raise ValueError naming the vocabulary when `name` is not a known figure."""
    if name in FIGURES:
        return
    counter = name.removeprefix(APP_COUNTER_PREFIX).removesuffix(_PER_REQUEST)
    if name.startswith(APP_COUNTER_PREFIX) and name.endswith(_PER_REQUEST) and counter.isidentifier():
        return
    known = ", ".join(FIGURES)
    raise ValueError(f"unknown figure {name!r}: use one of {known}, or 'app:<counter>/request'")


def figure_value(point: PointRecord, name: str) -> float | None:
    """The figure `name` of `point`; None when the point does not have it."""
    if name in FIGURES:
        return FIGURES[name](point)
    check_figure(name)
    return _app_counter(point, name.removeprefix(APP_COUNTER_PREFIX).removesuffix(_PER_REQUEST))
