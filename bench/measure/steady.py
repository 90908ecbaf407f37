"""Did the window see a steady state? A pure check over what the request log says about the window.

Unsteady: goodput differs between halves beyond counting noise, requests in flight keep ageing, or (open
loop) the backlog grew. Such a point is kept, flagged and drawn hollow."""

from __future__ import annotations

import math

from bench.results import SteadyState

__all__ = [
    "AGE_RISE_OF_WINDOW",
    "BACKLOG_GROWTH_OF_ISSUED",
    "NOISE_SIGMAS",
    "THROUGHPUT_DRIFT",
    "steady_state",
]

THROUGHPUT_DRIFT = 0.20  # the largest change between the window's halves still called steady
AGE_RISE_OF_WINDOW = 1 / 6  # the largest rise of the mean in-flight age, as a share of the window
NOISE_SIGMAS = 3.0  # counting noise allowed between the halves, in standard deviations
BACKLOG_GROWTH_OF_ISSUED = 0.10  # open loop: the backlog may grow by this share of the issued requests
_MIN_BACKLOG_GROWTH = 3


def _drift_reason(first: int, second: int, half_s: float) -> str | None:
    difference = abs(first - second)
    noise = NOISE_SIGMAS * math.sqrt(first + second)
    if difference <= THROUGHPUT_DRIFT * max(first, second) or difference <= noise:
        return None
    direction = "fell" if second < first else "rose"
    return (
        f"throughput {direction} from {first / half_s:.1f} to {second / half_s:.1f} req/s between the "
        "window's halves"
    )


def _ageing_reason(age_mid_ms: float, age_end_ms: float, window_s: float) -> str | None:
    rise = age_end_ms - age_mid_ms
    if rise <= AGE_RISE_OF_WINDOW * window_s * 1000.0 or rise <= THROUGHPUT_DRIFT * age_mid_ms:
        return None
    return (
        f"requests in flight still ageing: {age_mid_ms:,.0f} ms old on average mid-window, "
        f"{age_end_ms:,.0f} ms at its end (a pile-up, or a queue still filling)"
    )


def _backlog_reason(backlog: tuple[int, int], issued: int) -> str | None:
    start, end = backlog
    allowed = max(
        _MIN_BACKLOG_GROWTH, NOISE_SIGMAS * math.sqrt(start + end), BACKLOG_GROWTH_OF_ISSUED * issued
    )
    if end - start <= allowed:
        return None
    return (
        f"the server fell behind the offered rate: {start} requests in flight at the window's start, "
        f"{end} at its end"
    )


def steady_state(
    *,
    ok_per_half: tuple[int, int],
    in_flight_age_ms: tuple[float, float],
    in_flight_whole_window: int,
    window_s: float,
    backlog: tuple[int, int] | None = None,
    issued: int = 0,
) -> SteadyState:
    """Judge one window.

    Args:
        ok_per_half: successful answers in the window's first and second halves.
        in_flight_age_ms: mean age of the requests in flight at the window's middle and at its end
            (0 when none was).
        in_flight_whole_window: requests in flight when the window started and still when it ended
            (reported: the window can only bound their latency from below).
        window_s: the window's length.
        backlog: open loop only: requests in flight at the window's start and at its end.
        issued: open loop only: requests due in the window.

    Raises:
        ValueError: a non-positive window.
    """
    if window_s <= 0:
        raise ValueError(f"`window_s` must be positive, got {window_s}")
    half_s = window_s / 2.0
    first, second = ok_per_half
    age_mid, age_end = in_flight_age_ms
    found = (
        _drift_reason(first, second, half_s),
        _ageing_reason(age_mid, age_end, window_s),
        None if backlog is None else _backlog_reason(backlog, issued),
    )
    reasons = tuple(reason for reason in found if reason is not None)
    return SteadyState(
        reached=not reasons,
        first_half_rps=round(first / half_s, 3),
        second_half_rps=round(second / half_s, 3),
        in_flight_whole_window=in_flight_whole_window,
        in_flight_age_mid_ms=round(age_mid, 3),
        in_flight_age_end_ms=round(age_end, 3),
        reasons=reasons,
        backlog_start=None if backlog is None else backlog[0],
        backlog_end=None if backlog is None else backlog[1],
    )
