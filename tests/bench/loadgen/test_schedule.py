"""The arrival schedule: exact arithmetic for the constant rate, a seeded and honest Poisson process."""

from __future__ import annotations

import itertools
import math
import statistics

import pytest

from bench.loadgen.schedule import arrival_offsets, offsets_until


def test_constant_arrivals_are_i_over_rate_without_drift() -> None:
    offsets = list(itertools.islice(arrival_offsets("constant", 40.0), 1_000_001))
    assert offsets[:4] == pytest.approx([0.0, 0.025, 0.05, 0.075], abs=1e-15)
    # i * interval, not a running sum: request one million is due exactly at 25,000 s.
    assert offsets[1_000_000] == pytest.approx(25_000.0, abs=1e-9)


def test_a_run_of_three_seconds_at_40_per_second_has_120_requests() -> None:
    offsets = offsets_until("constant", 40.0, 3.0)
    assert len(offsets) == 120
    assert offsets[-1] < 3.0 <= offsets[-1] + 1 / 40


def test_poisson_arrivals_repeat_with_their_seed_and_differ_with_another() -> None:
    first = offsets_until("poisson", 50.0, 10.0, seed=7)
    assert first == offsets_until("poisson", 50.0, 10.0, seed=7)
    assert first != offsets_until("poisson", 50.0, 10.0, seed=8)
    assert first[0] == 0.0 and first == sorted(first)


def test_poisson_arrivals_have_the_offered_rate_and_exponential_gaps() -> None:
    rate, duration = 200.0, 500.0  # 100,000 expected arrivals
    offsets = offsets_until("poisson", rate, duration, seed=1)
    expected = rate * duration
    # The count of a Poisson process has standard deviation sqrt(n): 5 sigma is 1,581 of 100,000.
    assert abs(len(offsets) - expected) < 5 * math.sqrt(expected)
    gaps = [b - a for a, b in itertools.pairwise(offsets)]
    mean = statistics.fmean(gaps)
    assert mean == pytest.approx(1 / rate, rel=0.02)
    # An exponential distribution's standard deviation equals its mean (a constant rate would give 0),
    # and its median is ln 2 times the mean.
    assert statistics.pstdev(gaps) / mean == pytest.approx(1.0, abs=0.03)
    assert statistics.median(gaps) / mean == pytest.approx(math.log(2), abs=0.03)


@pytest.mark.parametrize("rate", [0.0, -5.0, math.nan, math.inf])
def test_a_rate_that_is_not_positive_and_finite_is_refused(rate: float) -> None:
    with pytest.raises(ValueError, match="rate_rps"):
        arrival_offsets("constant", rate)


def test_an_unknown_arrival_process_is_refused() -> None:
    with pytest.raises(ValueError, match="constant, poisson"):
        arrival_offsets("bursty", 10.0)  # type: ignore[arg-type]  # the mistake under test: no such process
