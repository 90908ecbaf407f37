"""Named figures of a point record: the vocabulary scenarios use to declare where their evidence is.

`figure_value` reads a number off a `PointRecord`, `figure_is_lower_bound` says whether it is a bound;
`check_figure` rejects an unknown name before a run starts."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from bench.results.records import PointRecord

__all__ = ["APP_COUNTER_PREFIX", "FIGURES", "check_figure", "figure_is_lower_bound", "figure_value"]

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


def _throughput(point: PointRecord) -> float | None:
    return point.throughput_rps if point.status == "ok" else None


def _failed_share(point: PointRecord) -> float | None:
    return point.failures / point.requests if point.requests > 0 else None


def _unanswered_share(point: PointRecord) -> float | None:
    """Requests issued in the window that were still unanswered at its end, over all issued in it."""
    if point.latency is None or point.latency.count <= 0:
        return None
    return point.unanswered / point.latency.count


def _cpu_per_request(point: PointRecord) -> float | None:
    return None if point.server is None else point.server.cpu_ms_per_request


def _database(field: str) -> Callable[[PointRecord], float | None]:
    def read(point: PointRecord) -> float | None:
        value = None if point.database is None else getattr(point.database, field)
        return None if value is None else float(value)

    return read


# Database figures and the DatabaseFigures field each reads.
_DATABASE = {
    "db_active_peak": "active_peak",
    "db_idle_in_transaction_at_peak": "idle_in_transaction_at_peak",
    "db_active_mean": "active_mean",
    "db_idle_in_transaction_mean": "idle_in_transaction_mean",
    "db_pool_checked_out_peak": "pool_checked_out_peak",
    "db_pool_waiting_peak": "pool_waiting_peak",
    "db_pool_timeouts": "pool_timeouts",
}


# Latency figures and the LatencySummary field each reads (a field can be a lower bound).
_LATENCY = {
    "latency_p50_ms": ("latency", "p50_ms"),
    "latency_p99_ms": ("latency", "p99_ms"),
    "ttfb_p50_ms": ("ttfb", "p50_ms"),
}


def _latency(summary: str, field: str) -> Callable[[PointRecord], float | None]:
    def read(point: PointRecord) -> float | None:
        latency = getattr(point, summary)
        return None if latency is None or point.status != "ok" else float(getattr(latency, field))

    return read


FIGURES: Mapping[str, Callable[[PointRecord], float | None]] = {
    "failures": lambda point: float(point.failures),
    "upstream_429s": _rate_limited,
    "upstream_calls_per_request": _upstream_calls,
    "new_connections_per_request": _connections,
    "throughput_rps": _throughput,
    "failed_share": _failed_share,
    "unanswered_share": _unanswered_share,
    "cpu_ms_per_request": _cpu_per_request,
    **{name: _latency(summary, field) for name, (summary, field) in _LATENCY.items()},
    **{name: _database(field) for name, field in _DATABASE.items()},
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


def figure_is_lower_bound(point: PointRecord, name: str) -> bool:
    """Whether the figure `name` of `point` is only a lower bound (a percentile resting on requests still
    unanswered at the window's end)."""
    if name not in _LATENCY:
        return False
    summary, field = _LATENCY[name]
    latency = getattr(point, summary)
    return latency is not None and latency.is_lower_bound(field)


def figure_value(point: PointRecord, name: str) -> float | None:
    """The figure `name` of `point`; None when the point does not have it."""
    if name in FIGURES:
        return FIGURES[name](point)
    check_figure(name)
    return _app_counter(point, name.removeprefix(APP_COUNTER_PREFIX).removesuffix(_PER_REQUEST))
