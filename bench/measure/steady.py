"""Did the window see a steady state? A pure check over what the request log says about the window.

Why: a closed loop needs time to settle. A pile-up (users trapped one by one on hung calls) or a
queue that is still filling (a blocked loop whose response time U·L exceeds the window) both give a
window whose figures are not the steady state's: throughput still falling, latencies still growing.
Such a point is kept, but flagged and drawn hollow, like an invalid one.

Two observable symptoms, either one is enough:
- goodput in the window's second half differs from the first by more than 20 %, and by more than
  counting noise (twice the standard deviation of the difference of two Poisson counts, 2·sqrt(a + b)),
  so that 4 answers vs 6 at one user is not called a trend;
- many requests were in flight through the whole window (more than a tenth as many as it answered):
  response times longer than the window, which it can only bound from below. A few such requests are
  the tail of an unfair queue (a blocked loop does not serve in arrival order), not a queue still
  filling up.
"""

from __future__ import annotations

import math

from bench.results import SteadyState

__all__ = ["STUCK_SHARE", "THROUGHPUT_DRIFT", "steady_state"]

THROUGHPUT_DRIFT = 0.20  # the largest change between the window's halves still called steady
STUCK_SHARE = 0.10  # requests in flight all window long, per answered request, still called steady


def _drift_reason(first: int, second: int, half_s: float) -> str | None:
    difference = abs(first - second)
    if difference <= THROUGHPUT_DRIFT * max(first, second) or difference <= 2.0 * math.sqrt(first + second):
        return None
    direction = "fell" if second < first else "rose"
    return (
        f"throughput {direction} from {first / half_s:.1f} to {second / half_s:.1f} req/s between the "
        "window's halves"
    )


def steady_state(
    *, ok_per_half: tuple[int, int], in_flight_whole_window: int, window_s: float, answered: int | None = None
) -> SteadyState:
    """Judge one window.

    Args:
        ok_per_half: successful answers in the window's first and second halves.
        in_flight_whole_window: requests in flight when the window started and still when it ended.
        window_s: the window's length.
        answered: requests answered in the window, successfully or not (default: the successful ones).

    Raises:
        ValueError: a non-positive window.
    """
    if window_s <= 0:
        raise ValueError(f"`window_s` must be positive, got {window_s}")
    half_s = window_s / 2.0
    first, second = ok_per_half
    reasons: list[str] = []
    drift = _drift_reason(first, second, half_s)
    if drift is not None:
        reasons.append(drift)
    answered = first + second if answered is None else answered
    if in_flight_whole_window > max(1.0, STUCK_SHARE * answered):
        reasons.append(
            f"{in_flight_whole_window} request(s) in flight through the whole {window_s:.1f} s window: "
            "latencies are lower bounds and the cost grows with time"
        )
    return SteadyState(
        reached=not reasons,
        first_half_rps=round(first / half_s, 3),
        second_half_rps=round(second / half_s, 3),
        in_flight_whole_window=in_flight_whole_window,
        reasons=tuple(reasons),
    )
