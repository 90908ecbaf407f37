"""The censoring arithmetic, exact cases: Kaplan-Meier percentiles over answered and unanswered requests."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bench.measure.censoring import survival
from bench.measure.requests import latency_summary


def _a(*values: float) -> np.ndarray:
    return np.array(values, dtype=float)


def test_without_censoring_percentiles_are_the_inverted_empirical_cdf() -> None:
    estimate = survival(_a(40, 10, 30, 20), _a())
    assert estimate.quantile(0.25).value == 10  # F(10) = 0.25
    assert estimate.quantile(0.5).value == 20
    assert estimate.quantile(0.51).value == 30
    assert estimate.quantile(1.0).value == 40
    assert not estimate.quantile(1.0).lower_bound
    assert estimate.residual_share == 0.0
    assert estimate.mean().value == 25.0 and not estimate.mean().lower_bound


def test_a_young_request_in_flight_moves_its_weight_to_the_slower_answers() -> None:
    # Answered after 10 and 30 ms; one request 20 ms old at the window's end: latency > 20, unknown.
    # KM: at 10, 3 at risk, 1 answer -> S = 2/3; at 30 only the answered one is at risk -> S = 0.
    estimate = survival(_a(10, 30), _a(20))
    assert estimate.cdf.tolist() == pytest.approx([1 / 3, 1.0])
    assert estimate.quantile(0.5) == estimate.quantile(1.0)
    assert estimate.quantile(0.5).value == 30 and not estimate.quantile(0.5).lower_bound
    assert estimate.residual_ages.size == 0  # younger than the slowest answer: not "unanswered"


def test_requests_older_than_every_answer_make_the_tail_a_lower_bound() -> None:
    # Nine answers at 100 ms; one request still unanswered after 3,000 ms (a hung call).
    estimate = survival(_a(*[100.0] * 9), _a(3000))
    assert estimate.residual_share == pytest.approx(0.1)
    assert estimate.quantile(0.9).value == 100 and not estimate.quantile(0.9).lower_bound
    p99 = estimate.quantile(0.99)
    assert (p99.value, p99.lower_bound) == (3000, True)
    assert estimate.mean().value == pytest.approx(0.9 * 100 + 0.1 * 3000)
    assert estimate.mean().lower_bound


def test_the_kth_residual_age_bounds_the_percentile_that_falls_on_it() -> None:
    # 6 answers at 50 ms; 4 unanswered, ages 1, 2, 3, 4 s: each of them holds 10 % of the mass.
    estimate = survival(_a(*[50.0] * 6), _a(4000, 1000, 3000, 2000))
    assert estimate.residual_share == pytest.approx(0.4)
    assert estimate.quantile(0.6).value == 50
    assert estimate.quantile(0.65) == estimate.quantile(0.7)
    assert estimate.quantile(0.7).value == 1000 and estimate.quantile(0.7).lower_bound
    assert estimate.quantile(0.71).value == 2000
    assert estimate.quantile(0.95).value == 4000


def test_a_request_censored_at_the_time_of_the_last_answer_is_still_at_risk() -> None:
    estimate = survival(_a(100, 200), _a(200))
    # At 100: three at risk, one answers (S = 2/3); at 200: two at risk (the answer and the censored
    # one), one answers (S = 2/3 x 1/2): the censored request keeps a third of the mass beyond 200.
    assert estimate.cdf.tolist() == pytest.approx([1 / 3, 2 / 3])
    assert estimate.residual_ages.tolist() == [200]


def test_nothing_answered_means_every_percentile_is_a_lower_bound() -> None:
    estimate = survival(_a(), _a(500, 1500))
    assert estimate.residual_share == 1.0
    assert estimate.quantile(0.5) == estimate.quantile(0.5)
    assert (estimate.quantile(0.5).value, estimate.quantile(0.5).lower_bound) == (500, True)
    assert estimate.quantile(0.99).value == 1500


def test_no_request_at_all() -> None:
    estimate = survival(_a(), _a())
    assert estimate.count == 0 and math.isnan(estimate.quantile(0.5).value)
    assert latency_summary(_a(), _a()) is None


def test_quantile_rejects_fractions_outside_0_1() -> None:
    with pytest.raises(ValueError, match="`q`"):
        survival(_a(1), _a()).quantile(0.0)


def test_latency_summary_names_its_lower_bounds_and_keeps_the_cdf_below_one() -> None:
    summary = latency_summary(_a(*[100.0] * 9), _a(3000))
    assert summary is not None
    assert (summary.count, summary.censored) == (10, 1)
    assert summary.p50_ms == 100 and summary.p99_ms == 3000
    assert summary.lower_bounds == ("mean_ms", "p95_ms", "p99_ms", "p999_ms", "max_ms")
    assert summary.is_lower_bound("p99_ms") and not summary.is_lower_bound("p90_ms")
    assert summary.max_ms == 3000 and summary.min_ms == 100
    assert summary.cdf[-1] == (100.0, 0.9)  # 10 % never answered inside the window


def test_a_healthy_closed_loop_is_exact_despite_one_young_request_per_user() -> None:
    rng = np.random.default_rng(3)
    answered = rng.normal(100.0, 5.0, 900)
    young = rng.uniform(0.0, 100.0, 100)  # every user's request in flight at the window's end
    summary = latency_summary(answered, young)
    assert summary is not None and summary.lower_bounds == ()
    assert summary.cdf[-1][1] == 1.0
    assert abs(summary.p50_ms - float(np.percentile(answered, 50))) < 2.0
