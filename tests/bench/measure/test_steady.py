"""The steady-state check: throughput drift between the window's halves, requests in flight still ageing."""

from __future__ import annotations

import pytest

from bench.measure.steady import steady_state
from bench.results import SteadyState


def _state(
    first: int,
    second: int,
    *,
    ages_ms: tuple[float, float] = (50.0, 50.0),
    stuck: int = 0,
    window_s: float = 3.0,
) -> SteadyState:
    return steady_state(
        ok_per_half=(first, second), in_flight_age_ms=ages_ms, in_flight_whole_window=stuck, window_s=window_s
    )


def test_equal_halves_and_a_stable_age_profile_are_steady() -> None:
    state = _state(150, 148)
    assert state.reached and state.reasons == ()
    assert state.first_half_rps == 100.0 and state.second_half_rps == pytest.approx(98.667, abs=1e-3)
    assert (state.in_flight_age_mid_ms, state.in_flight_age_end_ms) == (50.0, 50.0)


def test_a_collapsing_throughput_is_not_steady() -> None:
    # The no-deadline pitfall: users get stuck one by one, answers per half 60 -> 30.
    state = _state(60, 30)
    assert not state.reached
    assert state.reasons == ("throughput fell from 40.0 to 20.0 req/s between the window's halves",)


def test_a_drift_within_counting_noise_is_steady() -> None:
    # 4 vs 6 answers is 33 % apart, yet well inside 3·sqrt(10) ~ 9.5 of counting noise.
    assert _state(4, 6).reached
    # A deadline cutting one call in ten after 1 s: 82 vs 58 answers, 24 < 3·sqrt(140) ~ 35.5.
    assert _state(82, 58).reached
    # 100 vs 145 is 31 % apart but 45 < 3·sqrt(245) ~ 47; 100 vs 150 is neither.
    assert _state(100, 145).reached
    assert not _state(100, 150).reached


def test_requests_still_ageing_in_flight_are_a_queue_filling_up() -> None:
    # A blocked loop at 100 users: every request waits in one queue filled at t0; mid-window the requests
    # in flight are 2.1 s old on average, at its end 3.0 s. Throughput is flat (one at a time).
    state = _state(15, 15, ages_ms=(2060.0, 3000.0), stuck=92)
    assert not state.reached and state.in_flight_whole_window == 92
    assert state.reasons == (
        "requests in flight still ageing: 2,060 ms old on average mid-window, 3,000 ms at its end "
        "(a pile-up, or a queue still filling)",
    )


def test_a_long_but_stationary_tail_is_steady() -> None:
    # A blocked loop at 10 users: two requests starve through the window, the age profile does not move.
    assert _state(14, 14, ages_ms=(900.0, 1100.0), stuck=2).reached
    # A rise must exceed a sixth of the window (500 ms of 3 s) AND 20 % of the mid-window age.
    assert _state(14, 14, ages_ms=(100.0, 590.0)).reached
    assert not _state(14, 14, ages_ms=(100.0, 610.0)).reached
    assert _state(14, 14, ages_ms=(4000.0, 4790.0)).reached  # +790 ms is < 20 % of 4 s


def test_the_window_must_be_positive() -> None:
    with pytest.raises(ValueError, match="`window_s`"):
        _state(1, 1, window_s=0.0)


def _open_loop(start: int, end: int, issued: int) -> SteadyState:
    return steady_state(
        ok_per_half=(issued // 2, issued // 2),
        in_flight_age_ms=(100.0, 100.0),
        in_flight_whole_window=0,
        window_s=3.0,
        backlog=(start, end),
        issued=issued,
    )


def test_an_open_loop_whose_backlog_grows_fell_behind() -> None:
    # sync_in_async offered 40 req/s, serving 10: 30 more requests in flight every second.
    state = _open_loop(30, 120, 120)
    assert not state.reached
    (reason,) = state.reasons
    assert reason == (
        "the server fell behind the offered rate: 30 requests in flight at the window's start, 120 at its end"
    )
    assert (state.backlog_start, state.backlog_end) == (30, 120)


@pytest.mark.parametrize(("start", "end"), [(20, 31), (4, 7), (120, 90)])
def test_a_backlog_moving_within_counting_noise_is_steady(start: int, end: int) -> None:
    # 20 -> 31 in flight at 200 req/s: 3 sqrt(51) = 21 allows it; 4 -> 7 is within the floor of 3 and
    # of a tenth of the issued requests; a shrinking backlog is a queue draining, not one filling.
    assert _open_loop(start, end, 600).reached


def test_a_closed_loop_has_no_backlog_check() -> None:
    state = _state(150, 148)
    assert (state.backlog_start, state.backlog_end) == (None, None)
