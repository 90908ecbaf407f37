"""Did the window see a steady state? A pure check over what the request log says about the window.

Why: a closed loop needs time to settle. A pile-up (users trapped one by one on hung calls) or a
queue that is still filling (a blocked loop whose response time U·L exceeds the window) both give a
window whose figures are not the steady state's: throughput still falling, latencies still growing.
Such a point is kept, but flagged and drawn hollow, like an invalid one.

Two observable symptoms, either one is enough:
- goodput in the window's second half differs from the first by more than 20 %, and by more than
  counting noise (three standard deviations of the difference of two Poisson counts, 3·sqrt(a + b): a
  closed loop whose users stall now and then is burstier than Poisson), so that 4 answers vs 6 at one
  user, or 82 vs 58 for a deadline that cuts one call in ten after a second, is not called a trend;
- the requests in flight are still ageing: their mean age at the window's end exceeds the one at its
  middle by more than a sixth of the window (and by 20 %). In a steady state the users' requests in
  flight keep the same age profile; a closed loop's population of requests in flight is constant (one
  per user), so it is their age, not their count, that climbs while users pile up on hung calls or
  while the queue of a blocked loop still fills. A long but stationary tail (a blocked loop does not
  serve in arrival order, so a few requests wait through the whole window) does not age on average.
"""

from __future__ import annotations

import math

from bench.results import SteadyState

__all__ = ["AGE_RISE_OF_WINDOW", "NOISE_SIGMAS", "THROUGHPUT_DRIFT", "steady_state"]

THROUGHPUT_DRIFT = 0.20  # the largest change between the window's halves still called steady
AGE_RISE_OF_WINDOW = 1 / 6  # the largest rise of the mean in-flight age, as a share of the window
NOISE_SIGMAS = 3.0  # counting noise allowed between the halves, in standard deviations


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


def steady_state(
    *,
    ok_per_half: tuple[int, int],
    in_flight_age_ms: tuple[float, float],
    in_flight_whole_window: int,
    window_s: float,
) -> SteadyState:
    """Judge one window.

    Args:
        ok_per_half: successful answers in the window's first and second halves.
        in_flight_age_ms: mean age of the requests in flight at the window's middle and at its end
            (0 when none was).
        in_flight_whole_window: requests in flight when the window started and still when it ended
            (reported: the window can only bound their latency from below).
        window_s: the window's length.

    Raises:
        ValueError: a non-positive window.
    """
    if window_s <= 0:
        raise ValueError(f"`window_s` must be positive, got {window_s}")
    half_s = window_s / 2.0
    first, second = ok_per_half
    age_mid, age_end = in_flight_age_ms
    found = (_drift_reason(first, second, half_s), _ageing_reason(age_mid, age_end, window_s))
    reasons = tuple(reason for reason in found if reason is not None)
    return SteadyState(
        reached=not reasons,
        first_half_rps=round(first / half_s, 3),
        second_half_rps=round(second / half_s, 3),
        in_flight_whole_window=in_flight_whole_window,
        in_flight_age_mid_ms=round(age_mid, 3),
        in_flight_age_end_ms=round(age_end, 3),
        reasons=reasons,
    )
