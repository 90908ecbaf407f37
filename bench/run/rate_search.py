"""The rate search of a capacity (and of `awaitbench perf`): ramp geometrically until a step fails, then
bisect the bracket geometrically; a generator-bound step ends it with a lower bound (pure logic, no I/O;
docs/bench.md, "Capacity at an SLO", says why this shape).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

__all__ = ["RateSearch", "SearchResult", "StepOutcome", "StepVerdict"]


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


class RateSearch:
    """The search as a state machine, so several searches can take turns (`next_rate`, then `record`).

    Taking turns is how the sweep keeps the comparison fair on a machine whose background load drifts: the
    ceiling's and fake_llm's steps alternate, so both searches see the same stretch of time.

    Args:
        start_rps: the first rate tried.
        max_rps: never try above this.
        max_steps: at most this many steps.
        resolution: stop once failed/sustained is at most this ratio (> 1).
        factor: the ramp's multiplier (> 1); also the divisor when the first rate already fails.
        min_rps: never try below this; a failure there means nothing is sustained.
    """

    def __init__(
        self,
        *,
        start_rps: float,
        max_rps: float,
        max_steps: int,
        resolution: float,
        factor: float = 2.0,
        min_rps: float = 10.0,
    ) -> None:
        self._max_rps = max_rps
        self._max_steps = max_steps
        self._resolution = resolution
        self._factor = factor
        self._min_rps = min_rps
        self._steps: list[StepOutcome] = []
        self._best: float | None = None
        self._failed: float | None = None
        self._note = ""
        self._next: int | None = round(min(start_rps, max_rps))

    def next_rate(self) -> float | None:
        """The rate to measure next, or None when the search is over."""
        if self._next is None or len(self._steps) >= self._max_steps:
            return None
        return float(self._next)

    def record(self, outcome: StepOutcome) -> None:
        """Take the verdict on the rate `next_rate` returned and choose the next one."""
        self._steps.append(outcome)
        rate = outcome.rate_rps
        if outcome.verdict is StepVerdict.INVALID:
            self._note = f"stopped at {rate:g} rps: {'; '.join(outcome.reasons) or 'invalid step'}"
            self._next = None
            return
        if outcome.verdict is StepVerdict.SUSTAINED:
            self._best = max(self._best or 0.0, rate)
        else:
            self._failed = rate if self._failed is None else min(self._failed, rate)
        best, failed = self._best, self._failed
        following = _next_rate(
            best, failed, factor=self._factor, max_rps=self._max_rps, min_rps=self._min_rps
        )
        if best is not None and failed is not None and failed / best <= self._resolution:
            following = None
        if following is not None and following in (round(best or -1), round(failed or -1)):
            following = None  # the bracket is narrower than 1 rps
        self._next = following

    def result(self) -> SearchResult:
        note = self._note
        if self._failed is None and not note:
            note = "no rate failed: the maximum is higher than measured"
        invalid = any(s.verdict is StepVerdict.INVALID for s in self._steps)
        return SearchResult(
            max_sustained_rps=self._best or 0.0,
            first_failed_rps=self._failed,
            lower_bound=self._failed is None or invalid,
            steps=tuple(self._steps),
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
