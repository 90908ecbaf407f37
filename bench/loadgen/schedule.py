"""When each request of an open loop is due: constant or seeded Poisson arrivals, as pure arithmetic."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterator
from typing import Literal, get_args

__all__ = ["ARRIVALS", "Arrival", "arrival_offsets", "offsets_until"]

Arrival = Literal["constant", "poisson"]
ARRIVALS: tuple[Arrival, ...] = get_args(Arrival)


def _check(rate_rps: float) -> None:
    if not math.isfinite(rate_rps) or rate_rps <= 0:
        raise ValueError(f"`rate_rps` must be a positive finite number, got {rate_rps!r}")


def arrival_offsets(arrival: Arrival, rate_rps: float, *, seed: int = 1) -> Iterator[float]:
    """Seconds after the start at which each request is due, ascending, without end.

    Args:
        arrival: "constant" (i / rate) or "poisson" (exponential gaps of mean 1 / rate).
        rate_rps: requests per second, > 0.
        seed: the Poisson schedule's seed (ignored for constant arrivals).

    Raises:
        ValueError: a non-positive or non-finite rate, or an unknown arrival process.
    """
    _check(rate_rps)
    if arrival == "constant":
        interval_s = 1.0 / rate_rps
        # i * interval, not a running sum: no floating-point drift over a million requests.
        return (index * interval_s for index in itertools.count())
    if arrival == "poisson":
        return _poisson(rate_rps, random.Random(seed))
    raise ValueError(f"unknown arrival process {arrival!r}: use one of {', '.join(ARRIVALS)}")


def _poisson(rate_rps: float, rng: random.Random) -> Iterator[float]:
    # The first request is due at 0, like the constant schedule: the warm-up starts with load.
    offset = 0.0
    while True:
        yield offset
        offset += rng.expovariate(rate_rps)


def offsets_until(arrival: Arrival, rate_rps: float, end_s: float, *, seed: int = 1) -> list[float]:
    """Every offset in [0, end_s): the finite schedule of a run of `end_s` seconds."""
    return list(itertools.takewhile(lambda s: s < end_s, arrival_offsets(arrival, rate_rps, seed=seed)))
