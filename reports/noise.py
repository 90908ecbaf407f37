"""How much a single point's figure can move by sampling alone: the floor of `compare`'s noise band."""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

__all__ = ["MIN_BEYOND", "MIN_REQUESTS", "percentile_band_pct", "percentile_judgeable", "rate_band_pct"]

MIN_BEYOND = 10  # requests that must lie beyond a percentile before it is compared
MIN_REQUESTS = 20  # a rate or a median from fewer answers is not compared
_Z = 1.96


def rate_band_pct(requests: int) -> float | None:
    """Two standard errors of a rate measured from `requests` answers, in percent; None when too few."""
    if requests < MIN_REQUESTS:
        return None
    return 100.0 * 2.0 / math.sqrt(requests)


def percentile_judgeable(requests: int, fraction: float) -> bool:
    """Whether `requests` put at least MIN_BEYOND of them beyond the `fraction` percentile."""
    return requests >= MIN_REQUESTS and requests * (1.0 - fraction) >= MIN_BEYOND


def _value_at(cdf: Sequence[tuple[float, float]], fraction: float) -> float:
    fractions = [f for _, f in cdf]
    index = min(bisect.bisect_left(fractions, fraction), len(cdf) - 1)
    return cdf[index][0]


def percentile_band_pct(cdf: Sequence[tuple[float, float]], requests: int, fraction: float) -> float:
    """Half the 95 % confidence interval of the `fraction` percentile, relative to it, in percent.

    0.0 when the CDF was not stored (older records): the threshold alone then decides.
    """
    if not cdf or requests <= 0:
        return 0.0
    spread = _Z * math.sqrt(fraction * (1.0 - fraction) / requests)
    low = _value_at(cdf, max(fraction - spread, 0.0))
    high = _value_at(cdf, min(fraction + spread, 1.0))
    middle = _value_at(cdf, fraction)
    if middle <= 0:
        return 0.0
    return 100.0 * (high - low) / 2.0 / middle
