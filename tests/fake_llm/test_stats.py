"""Stats: `/stats` resets, `/metrics` counters never go backwards, percentiles from buckets."""

from __future__ import annotations

import pytest

from fake_llm.metrics import render_metrics
from fake_llm.stats import ServerStats


def test_reset_zeroes_the_window_but_not_the_metrics() -> None:
    stats = ServerStats()
    for status in ("200", "200", "429", "503"):
        stats.request_started()
        stats.request_finished("chat.completions", status, 5)
    stats.connection_opened()
    stats.request_started()  # still in flight across the reset
    before = stats.snapshot()
    assert before.requests_total == 4
    assert before.rate_limited_total == 1 and before.server_errors_total == 1
    assert before.requests_per_connection == 4.0

    stats.reset()
    after = stats.snapshot()
    assert after.requests_total == 0 and after.requests_by_status == {}
    assert after.in_flight == 1 and after.peak_in_flight == 1
    assert after.tokens_out_total == 0
    stats.request_finished("chat.completions", "200")
    assert stats.snapshot().requests_by_status == {"200": 1}
    text = render_metrics(stats)
    assert 'fake_llm_requests_total{route="chat.completions",status="200"} 3' in text
    assert "fake_llm_tokens_out_total 20" in text


def test_scheduling_error_percentiles() -> None:
    stats = ServerStats()
    for error_ms in [0.2] * 98 + [5.0, 40.0]:
        stats.scheduling_error(error_ms)
    stats.scheduling_error(-1.0)  # an early wake-up counts as on time
    snapshot = stats.snapshot().scheduling_error_ms
    assert snapshot.count == 101
    assert snapshot.p50 == pytest.approx(0.25, abs=0.05)  # bucket resolution is 0.05 ms
    assert snapshot.p99 == pytest.approx(5.05, abs=0.05)
    assert snapshot.max == 40.0
    text = render_metrics(stats)
    assert 'fake_llm_scheduling_error_ms_bucket{le="0.25"} 99' in text
    assert 'fake_llm_scheduling_error_ms_bucket{le="+Inf"} 101' in text
