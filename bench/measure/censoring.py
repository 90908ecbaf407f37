"""Latency percentiles when some requests never answered inside the window: Kaplan-Meier censoring.

A percentile that falls among requests older than every answer is only a lower bound. Pure functions;
exact cases in tests/bench/measure/test_censoring.py."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Estimate", "Survival", "survival"]


@dataclass(frozen=True)
class Estimate:
    """A latency figure and whether it is only a lower bound (it rests on unanswered requests)."""

    value: float
    lower_bound: bool


@dataclass(frozen=True)
class Survival:
    """The Kaplan-Meier estimate of a latency distribution from answered and censored requests.

    `times` are the distinct answered latencies, ascending; `cdf[i]` the estimated share of requests
    answered within `times[i]`. `residual_ages` are the censored requests at least as old as the last
    answer, ascending: they share the mass `1 - cdf[-1]` equally (all of it when nothing answered).
    """

    times: np.ndarray
    cdf: np.ndarray
    residual_ages: np.ndarray
    answered: int
    censored: int

    @property
    def count(self) -> int:
        return self.answered + self.censored

    @property
    def residual_share(self) -> float:
        """Estimated share of requests slower than every answer: still unanswered."""
        return 1.0 - float(self.cdf[-1]) if self.cdf.size else (1.0 if self.censored else 0.0)

    def quantile(self, q: float) -> Estimate:
        """The smallest latency t with F(t) >= q (inverted CDF, exact for uncensored data); when q falls
        into the residual share, the k-th smallest residual age, as a lower bound."""
        if not 0.0 < q <= 1.0:
            raise ValueError(f"`q` must be in (0, 1], got {q}")
        tolerance = 1e-12
        if self.cdf.size and self.cdf[-1] >= q - tolerance:
            index = int(np.searchsorted(self.cdf, q - tolerance, side="left"))
            return Estimate(float(self.times[index]), False)
        residual = self.residual_ages
        if residual.size == 0:  # no request at all
            return Estimate(math.nan, False)
        share = self.residual_share
        answered_share = 1.0 - share
        k = math.ceil((q - answered_share) / (share / residual.size) - 1e-9)
        return Estimate(float(residual[min(max(k, 1), residual.size) - 1]), True)

    def mean(self) -> Estimate:
        """The mean over answered times and residual ages (a lower bound when anything is residual)."""
        if self.count == 0:
            return Estimate(math.nan, False)
        masses = np.diff(np.concatenate(([0.0], self.cdf)))
        total = float((self.times * masses).sum())
        if self.residual_ages.size:
            total += float(self.residual_ages.mean()) * self.residual_share
        return Estimate(total, self.residual_ages.size > 0)


def survival(answered_ms: np.ndarray, censored_ms: np.ndarray) -> Survival:
    """Kaplan-Meier over answered latencies and censored ages (both in ms, any order).

    At each distinct answered time t with d answers and n requests still at risk (latency or age >= t),
    the survival drops by the factor (1 - d / n). A censored request whose age equals an answered time
    is still at risk at that time (the usual convention: censoring after the answers).
    """
    answered = np.sort(np.asarray(answered_ms, dtype=float))
    censored = np.sort(np.asarray(censored_ms, dtype=float))
    times, deaths = np.unique(answered, return_counts=True)
    # At risk at t: answered at or after t, plus censored at or after t.
    answered_at_risk = answered.size - np.searchsorted(answered, times, side="left")
    censored_at_risk = censored.size - np.searchsorted(censored, times, side="left")
    at_risk = answered_at_risk + censored_at_risk
    surviving = np.cumprod(1.0 - deaths / at_risk) if times.size else np.array([])
    last = times[-1] if times.size else -math.inf
    return Survival(
        times=times,
        cdf=1.0 - surviving,
        residual_ages=censored[censored >= last],
        answered=int(answered.size),
        censored=int(censored.size),
    )
