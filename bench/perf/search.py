"""The rate search: ramp geometrically until a step fails, then bisect the bracket (pure logic, no I/O).

Why this shape: the maximum sustained rate is unknown within two orders of magnitude, and every step costs
seconds of real load. Doubling finds a bracket [last sustained, first failed] in log2(max/start) steps;
bisecting it geometrically (rates are ratios, not differences) narrows it to `resolution` in a few more.
A step where the load generator itself was the bottleneck ends the search: nothing above it can be measured
on this machine, so the result is a lower bound and says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

__all__ = ["SearchResult", "StepOutcome", "StepVerdict", "search_max_rate"]


class StepVerdict(Enum):
    SUSTAINED = "sustained"
    FAILED = "failed"
    INVALID = "invalid"


@dataclass(frozen=True, kw_only=True)
class StepOutcome:
    """The verdict on one measured rate, with the reasons a human reads in the table."""

    rate_rps: float
    verdict: StepVerdict
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class SearchResult:
    """`max_sustained_rps` is the highest sustained rate seen (0.0 when none was).

    `lower_bound` is True when the search could not look higher (generator-bound, `max_rps` reached, or out
    of steps before any rate failed): the true maximum is at least this much.
    """

    max_sustained_rps: float
    first_failed_rps: float | None
    lower_bound: bool
    steps: tuple[StepOutcome, ...]
    note: str


def search_max_rate(
    measure: Callable[[float], StepOutcome],
    *,
    start_rps: float,
    max_rps: float,
    max_steps: int,
    resolution: float,
    factor: float = 2.0,
    min_rps: float = 10.0,
) -> SearchResult:
    """Find the highest rate `measure` calls sustained, within `max_steps` calls.

    Args:
        measure: runs one step at the given rate (rounded to an integer) and judges it.
        start_rps: the first rate tried.
        max_rps: never try above this.
        max_steps: at most this many calls to `measure`.
        resolution: stop once failed/sustained is at most this ratio (> 1).
        factor: the ramp's multiplier (> 1); also the divisor when the first rate already fails.
        min_rps: never try below this; a failure there means nothing is sustained.
    """
    steps: list[StepOutcome] = []
    best: float | None = None
    failed: float | None = None
    rate = round(min(start_rps, max_rps))
    note = ""
    while len(steps) < max_steps:
        outcome = measure(float(rate))
        steps.append(outcome)
        if outcome.verdict is StepVerdict.INVALID:
            note = f"stopped at {rate:g} rps: {'; '.join(outcome.reasons) or 'invalid step'}"
            break
        if outcome.verdict is StepVerdict.SUSTAINED:
            best = max(best or 0.0, float(rate))
        else:
            failed = float(rate) if failed is None else min(failed, float(rate))
        next_rate = _next_rate(best, failed, factor=factor, max_rps=max_rps, min_rps=min_rps)
        if next_rate is None or (best is not None and failed is not None and failed / best <= resolution):
            break
        if next_rate in (round(best or -1), round(failed or -1)):
            break  # the bracket is narrower than 1 rps
        rate = next_rate
    if failed is None and not note:
        note = "no rate failed: the maximum is higher than measured"
    lower_bound = failed is None or any(s.verdict is StepVerdict.INVALID for s in steps)
    return SearchResult(
        max_sustained_rps=best or 0.0,
        first_failed_rps=failed,
        lower_bound=lower_bound,
        steps=tuple(steps),
        note=note,
    )


def _next_rate(
    best: float | None, failed: float | None, *, factor: float, max_rps: float, min_rps: float
) -> int | None:
    if failed is None:
        assert best is not None
        if best >= max_rps:
            return None
        return round(min(best * factor, max_rps))
    if best is None:
        if failed <= min_rps:
            return None
        return round(max(failed / factor, min_rps))
    return round(math.sqrt(best * failed))
