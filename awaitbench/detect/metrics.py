"""Prometheus metrics of the watchdog, registered where the app's existing `/metrics` reads them."""

from __future__ import annotations

import importlib.util
import re
import threading
import weakref
from typing import Any

from awaitbench.detect.watchdog.errors import WatchConfigError
from awaitbench.detect.watchdog.monitor import WatchListener
from awaitbench.detect.watchdog.report import Block, NeverAwaited, ResourceLeak
from awaitbench.detect.watchdog.threadpool import ThreadpoolReading

__all__ = ["LAG_BUCKETS_S", "PrometheusMetrics", "available"]

LAG_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
# Registry -> namespace -> its metrics. Weak keys: a registry's id can be reused once it is collected.
_registered: weakref.WeakKeyDictionary[Any, dict[str, dict[str, Any]]] = weakref.WeakKeyDictionary()
_registered_lock = threading.Lock()


def available() -> bool:
    """Whether prometheus_client is installed."""
    return importlib.util.find_spec("prometheus_client") is not None


def _build(registry: Any, namespace: str) -> dict[str, Any]:
    from prometheus_client import Counter, Gauge, Histogram

    def opts(name: str, doc: str) -> dict[str, Any]:
        return {"name": name, "documentation": doc, "namespace": namespace, "registry": registry}

    return {
        "lag": Histogram(
            **opts("loop_lag_seconds", "How long a callback posted to the event loop waited to run"),
            buckets=LAG_BUCKETS_S,
        ),
        "blocks": Counter(
            **opts("loop_blocks", "Event-loop blocks at or over the threshold, by location"),
            labelnames=("location", "route", "state"),
        ),
        "blocked": Counter(
            **opts("loop_blocked_seconds", "Time the event loop was blocked, by location"),
            labelnames=("location", "route", "state"),
        ),
        "in_use": Gauge(**opts("threadpool_tokens_in_use", "anyio default thread limiter: borrowed tokens")),
        "total": Gauge(**opts("threadpool_tokens_total", "anyio default thread limiter: total tokens")),
        "waiting": Gauge(**opts("threadpool_tasks_waiting", "Tasks waiting for a thread token")),
        "never_awaited": Counter(
            **opts("coroutines_never_awaited", "Coroutines garbage-collected without being awaited"),
            labelnames=("coroutine",),
        ),
        "resources": Counter(
            **opts("resource_warnings", "ResourceWarnings (unclosed clients, sockets, transports)"),
            labelnames=("type",),
        ),
    }


class PrometheusMetrics(WatchListener):
    """Feeds the metrics above from a watch.

    Args:
        registry: a `prometheus_client.CollectorRegistry` (default: the global REGISTRY that
            `make_asgi_app()`/`generate_latest()` serve).
        namespace: the metric name prefix.
        max_locations: distinct `location`/`route` label values before new ones become `other`.

    Raises:
        WatchConfigError: prometheus_client is not installed, or the namespace is not a metric name.
    """

    def __init__(
        self, *, registry: Any = None, namespace: str = "awaitbench", max_locations: int = 200
    ) -> None:
        if not available():
            raise WatchConfigError(
                "Prometheus metrics need prometheus_client: pip install prometheus-client "
                "(or pass metrics=False)"
            )
        if not _NAME.match(namespace):
            raise WatchConfigError(f"namespace must be a Prometheus metric name prefix, got {namespace!r}")
        if registry is None:
            from prometheus_client import REGISTRY

            registry = REGISTRY
        with _registered_lock:
            per_registry = _registered.setdefault(registry, {})
            if namespace not in per_registry:
                per_registry[namespace] = _build(registry, namespace)
            self._m = per_registry[namespace]
        self._max_locations = max_locations
        self._labels: dict[str, set[str]] = {"location": set(), "route": set(), "coroutine": set()}

    def _label(self, kind: str, value: str) -> str:
        seen = self._labels[kind]
        if value in seen:
            return value
        if len(seen) >= self._max_locations:
            return "other"
        seen.add(value)
        return value

    def on_lag(self, lag_s: float) -> None:
        self._m["lag"].observe(lag_s)

    def on_block(self, block: Block) -> None:
        labels = {
            "location": self._label("location", f"{block.location.where} {block.location.function}"),
            "route": self._label("route", block.route or ""),
            "state": block.state,
        }
        self._m["blocks"].labels(**labels).inc()
        self._m["blocked"].labels(**labels).inc(block.duration_ms / 1000.0)

    def on_threadpool(self, reading: ThreadpoolReading, elapsed_s: float) -> None:
        self._m["in_use"].set(reading.borrowed)
        self._m["total"].set(reading.total)
        self._m["waiting"].set(reading.waiting)

    def on_never_awaited(self, item: NeverAwaited) -> None:
        self._m["never_awaited"].labels(coroutine=self._label("coroutine", item.coroutine)).inc()

    def on_resource_warning(self, item: ResourceLeak) -> None:
        self._m["resources"].labels(type=item.source_type or "unknown").inc()
