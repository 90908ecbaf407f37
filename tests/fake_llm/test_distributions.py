"""Latency distributions: means close to the configured one, samples clipped, seed-reproducible."""

from __future__ import annotations

import random
import statistics

import pytest

from fake_llm.config import Distribution
from fake_llm.distributions import sample


@pytest.mark.parametrize("dist", ["uniform", "normal", "lognormal"])
def test_mean_and_clipping(dist: Distribution) -> None:
    rng = random.Random(1)
    draws = [sample(rng, dist=dist, mean=100.0, spread=30.0) for _ in range(20_000)]
    # 20k draws: the standard error of the mean is ~0.2; clipping shifts it by well under 3%.
    assert statistics.fmean(draws) == pytest.approx(100.0, rel=0.03)
    assert min(draws) >= 0.0
    assert max(draws) <= 100.0 + 4 * 30.0
    assert statistics.pstdev(draws) > 10.0


def test_constant_and_degenerate_cases() -> None:
    rng = random.Random(1)
    assert sample(rng, dist="constant", mean=42.0, spread=10.0) == 42.0
    assert sample(rng, dist="normal", mean=42.0, spread=0.0) == 42.0
    assert sample(rng, dist="lognormal", mean=0.0, spread=5.0) == 0.0


def test_same_seed_same_draws() -> None:
    a = [sample(random.Random(9), dist="lognormal", mean=50, spread=20) for _ in range(3)]
    b = [sample(random.Random(9), dist="lognormal", mean=50, spread=20) for _ in range(3)]
    assert a == b
