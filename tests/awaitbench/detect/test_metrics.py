"""Prometheus metrics from a watch, in a private registry (the real prometheus_client)."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry

import awaitbench.detect.metrics
from awaitbench.detect.metrics import PrometheusMetrics
from awaitbench.detect.watchdog import WatchConfigError
from awaitbench.detect.watchdog.threadpool import ThreadpoolReading
from tests.awaitbench.detect.builders import make_block


def test_blocks_lag_and_threadpool_become_metrics() -> None:
    registry = CollectorRegistry()
    metrics = PrometheusMetrics(registry=registry)
    metrics.on_lag(0.003)
    metrics.on_block(make_block(duration_ms=250.0))
    metrics.on_block(make_block(duration_ms=50.0))
    metrics.on_threadpool(ThreadpoolReading(borrowed=40, total=40, waiting=7), 0.01)
    labels = {"location": "app/services.py:42 parse_document", "route": "POST /extract", "state": "parked"}
    assert registry.get_sample_value("awaitbench_loop_blocks_total", labels) == 2.0
    assert registry.get_sample_value("awaitbench_loop_blocked_seconds_total", labels) == pytest.approx(0.3)
    assert registry.get_sample_value("awaitbench_loop_lag_seconds_count") == 1.0
    assert registry.get_sample_value("awaitbench_threadpool_tokens_in_use") == 40.0
    assert registry.get_sample_value("awaitbench_threadpool_tasks_waiting") == 7.0


def test_a_second_instance_on_the_same_registry_shares_the_metrics() -> None:
    registry = CollectorRegistry()
    PrometheusMetrics(registry=registry).on_lag(0.001)
    PrometheusMetrics(registry=registry).on_lag(0.001)  # an app factory called twice: no duplicate error
    assert registry.get_sample_value("awaitbench_loop_lag_seconds_count") == 2.0


def test_labels_are_capped() -> None:
    registry = CollectorRegistry()
    metrics = PrometheusMetrics(registry=registry, max_locations=2)
    for line in range(5):
        metrics.on_block(make_block(line=line))
    other = {"location": "other", "route": "POST /extract", "state": "parked"}
    assert registry.get_sample_value("awaitbench_loop_blocks_total", other) == 3.0


def test_errors_say_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(WatchConfigError, match="namespace"):
        PrometheusMetrics(registry=CollectorRegistry(), namespace="not valid")
    monkeypatch.setattr(awaitbench.detect.metrics, "available", lambda: False)
    with pytest.raises(WatchConfigError, match="pip install prometheus-client"):
        PrometheusMetrics(registry=CollectorRegistry())


def test_a_new_registry_gets_its_own_metrics_whatever_its_id() -> None:
    for _ in range(50):  # a collected registry's id is soon reused by the next one
        registry = CollectorRegistry()
        PrometheusMetrics(registry=registry).on_lag(0.001)
        assert registry.get_sample_value("awaitbench_loop_lag_seconds_count") == 1.0
        del registry
