"""Sampling latencies and lengths from a named distribution, clipped to sensible bounds.

Clipping keeps a heavy tail from producing a 10-minute "request" or a negative sleep: every sample is
kept within [0, mean + 4 * spread] (lognormal: the same bound), which keeps the mean close to the
configured one while still showing the tail.
"""

from __future__ import annotations

import math
import random

from fake_llm.config import Distribution

__all__ = ["sample"]

_TAIL_SPREADS = 4.0


def sample(rng: random.Random, *, dist: Distribution, mean: float, spread: float) -> float:
    """One draw with the given mean and spread (std-dev; half-width for `uniform`), clipped.

    Args:
        rng: the seeded generator to draw from.
        dist: constant, uniform, normal or lognormal.
        mean: the distribution's mean (>= 0).
        spread: std-dev for normal/lognormal, half-width for uniform; ignored for constant.
    """
    if dist == "constant" or spread <= 0 or mean <= 0:
        return mean
    if dist == "uniform":
        value = rng.uniform(mean - spread, mean + spread)
    elif dist == "normal":
        value = rng.gauss(mean, spread)
    else:
        # Parameters of the underlying normal so that the lognormal has exactly this mean and std-dev.
        sigma2 = math.log1p((spread / mean) ** 2)
        value = rng.lognormvariate(math.log(mean) - sigma2 / 2, math.sqrt(sigma2))
    return min(max(value, 0.0), mean + _TAIL_SPREADS * spread)
