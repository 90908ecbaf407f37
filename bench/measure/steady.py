"""Did the window see a steady state? A pure check over what the request log says about the window.

Why: a closed loop needs time to settle. A pile-up (users trapped one by one on hung calls) or a
queue that is still filling (a blocked loop whose response time U·L exceeds the window) both give a
window whose figures are not the steady state's: throughput still falling, latencies still growing.
Such a point is kept, but flagged and drawn hollow, like an invalid one.

Two observable symptoms, either one is enough:
- goodput in the window's second half differs from the first by more than 20 %, and by more than
  counting noise (twice the standard deviation of the difference of two Poisson counts, 2·sqrt(a + b)),
  so that 4 answers vs 6 at one user is not called a trend;
- requests were in flight through the whole window: a response time longer than the window, which the
  window can only bound from below.
"""

from __future__ import annotations

import math

from bench.results import SteadyState

__all__ = ["THROUGHPUT_DRIFT", "steady_state"]

THROUGHPUT_DRIFT = 0.20  # the largest change between the window's halves still called steady


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
    *, ok_per_half: tuple[int, int], in_flight_whole_window: int, window_s: float
) -> SteadyState:
    """Judge one window.

    Args:
        ok_per_half: successful answers in the window's first and second halves.
        in_flight_whole_window: requests in flight when the window started and still when it ended.
        window_s: the window's length.

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
    if in_flight_whole_window > 0:
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
