"""The steady-state check: throughput drift between the window's halves, requests in flight all along."""

from __future__ import annotations

import pytest

from bench.measure.steady import steady_state


def test_equal_halves_and_nothing_stuck_is_steady() -> None:
    state = steady_state(ok_per_half=(150, 148), in_flight_whole_window=0, window_s=3.0)
    assert state.reached and state.reasons == ()
    assert (state.first_half_rps, state.second_half_rps) == (100.0, pytest.approx(98.667, abs=1e-3))


def test_a_collapsing_throughput_is_not_steady() -> None:
    # The no-deadline pitfall: users get stuck one by one, answers per half 60 -> 30.
    state = steady_state(ok_per_half=(60, 30), in_flight_whole_window=0, window_s=3.0)
    assert not state.reached
    assert state.reasons == ("throughput fell from 40.0 to 20.0 req/s between the window's halves",)


def test_a_drift_within_counting_noise_is_steady() -> None:
    # 4 vs 6 answers is 33 % apart, yet well inside 2·sqrt(10) ~ 6.3 of Poisson noise.
    assert steady_state(ok_per_half=(4, 6), in_flight_whole_window=0, window_s=3.0).reached
    # 20 % exactly is still steady; 100 vs 130 (23 %, beyond 2·sqrt(230) ~ 30.3? no: 30 < 30.3) too.
    assert steady_state(ok_per_half=(100, 120), in_flight_whole_window=0, window_s=3.0).reached
    assert steady_state(ok_per_half=(100, 130), in_flight_whole_window=0, window_s=3.0).reached
    assert not steady_state(ok_per_half=(100, 140), in_flight_whole_window=0, window_s=3.0).reached


def test_many_requests_in_flight_through_the_whole_window_are_not_steady() -> None:
    # A queue still filling: 32 requests wait longer than the window while it answers 28.
    state = steady_state(ok_per_half=(14, 14), in_flight_whole_window=32, window_s=3.0)
    assert not state.reached and state.in_flight_whole_window == 32
    assert "32 request(s) in flight through the whole 3.0 s window" in state.reasons[0]


def test_a_few_starved_requests_are_the_tail_of_an_unfair_queue_not_a_trend() -> None:
    # A blocked loop at 10 users: 28 answers, 2 requests that waited through the window (7 %).
    assert steady_state(ok_per_half=(14, 14), in_flight_whole_window=2, window_s=3.0).reached
    assert not steady_state(ok_per_half=(14, 14), in_flight_whole_window=3, window_s=3.0).reached
    # One stuck request is never a trend, however few answers there were; failures count as answers.
    assert steady_state(ok_per_half=(2, 2), in_flight_whole_window=1, window_s=3.0).reached
    assert steady_state(ok_per_half=(5, 5), in_flight_whole_window=5, window_s=3.0, answered=60).reached


def test_the_window_must_be_positive() -> None:
    with pytest.raises(ValueError, match="`window_s`"):
        steady_state(ok_per_half=(1, 1), in_flight_whole_window=0, window_s=0.0)
