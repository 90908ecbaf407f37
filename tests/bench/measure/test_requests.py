from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.measure.requests import cdf_points, latency_summary, read_request_logs, window_counts


def test_percentiles_are_exact_not_bucketed() -> None:
    # Locust would round 123.4 ms to 120 ms; we must not.
    latencies = np.array([123.4] * 98 + [456.7, 1234.5])
    summary = latency_summary(latencies)
    assert summary is not None
    assert summary.p50_ms == 123.4
    assert summary.max_ms == 1234.5
    assert summary.count == 100
    assert 456.0 < summary.p99_ms < 1234.6


def test_latency_summary_matches_numpy_without_censoring() -> None:
    rng = np.random.default_rng(7)
    latencies = rng.exponential(100.0, 5000)
    summary = latency_summary(latencies)
    assert summary is not None
    # The smallest latency with F >= 0.99: numpy's "inverted_cdf" percentile.
    assert abs(summary.p99_ms - float(np.percentile(latencies, 99, method="inverted_cdf"))) < 0.001
    assert abs(summary.mean_ms - float(latencies.mean())) < 0.001
    assert summary.censored == 0 and summary.lower_bounds == ()


def test_empty_window_has_no_summary() -> None:
    assert latency_summary(np.array([])) is None
    assert cdf_points(np.array([])) == ()


def test_cdf_is_monotonic_and_ends_at_one() -> None:
    latencies = np.arange(1, 10001, dtype=float)
    cdf = cdf_points(latencies, points=100)
    assert len(cdf) <= 101
    values = [v for v, _ in cdf]
    fractions = [f for _, f in cdf]
    assert values == sorted(values) and fractions == sorted(fractions)
    assert cdf[-1] == (10000.0, 1.0)
    assert sum(1 for f in fractions if f >= 0.9) >= 40  # the tail keeps its detail


def test_window_counts_answers_inside_and_every_request_issued_inside(tmp_path: Path) -> None:
    log_a = tmp_path / "requests-1.csv"
    log_b = tmp_path / "requests-2.csv"
    # start, latency ms, ok -> answered at start + latency; "start,,," never answered (Locust quit).
    log_a.write_text("100.0,500.0,1\n101.0,100.0,1\n101.5,200.0,0\n100.2,,,\n")
    log_b.write_text("102.0,2000.0,1\n102.9,50.0,1\n102.95,,,\n99.0,")  # last line torn by a kill
    log = read_request_logs([log_a, log_b])
    assert log.latency_ms.size == 7
    counts = window_counts(log, start_s=100.6, end_s=103.0)
    # Answered inside [100.6, 103): 101.1 (ok), 101.7 (failed), 102.95 (ok). 100.5 is before the window.
    assert (counts.requests, counts.failures) == (3, 1)
    # Issued inside: 101.0 and 101.5 answered in time (with their latencies, failed or not), 102.9 too;
    # 102.0 answers at 104.0 and 102.95 never: in flight at the end, 1.0 s and 0.05 s old.
    assert sorted(counts.answered_ms.tolist()) == [50.0, 100.0, 200.0]
    assert sorted(counts.censored_ms.round(3).tolist()) == [50.0, 1000.0]
    # Halves split at 101.8: ok answers 101.1 | 102.95. In flight through the whole window: 100.2 (never).
    assert counts.ok_per_half == (1, 1)
    assert counts.in_flight_whole_window == 1
    # In flight at 101.8 (mid-window): only 100.2 (never answered), 1.6 s old. At 103.0: 100.2 (2.8 s),
    # 102.0 (answered at 104.0: 1.0 s) and 102.95 (never: 0.05 s).
    mid, end = counts.in_flight_age_ms
    assert mid == pytest.approx(1600.0)
    assert end == pytest.approx((2800.0 + 1000.0 + 50.0) / 3)


def test_streamed_lines_carry_time_to_first_byte(tmp_path: Path) -> None:
    log_file = tmp_path / "requests-1.csv"
    # start, latency ms, ok, ttfb ms (empty = not streamed); a 3-field line is an older, unstreamed log
    log_file.write_text("100.0,500.0,1,120.5\n100.0,400.0,1,\n100.0,300.0,0,90.0\n100.0,200.0,1\n")
    log = read_request_logs([log_file])
    assert log.latency_ms.size == 4
    counts = window_counts(log, start_s=100.0, end_s=101.0)
    assert counts.requests == 4 and counts.failures == 1
    assert counts.ttfb_ms.tolist() == [120.5]  # only the successful streamed request
    assert counts.answered_ms.tolist() == [500.0, 400.0, 300.0, 200.0]  # the failed one counts too
