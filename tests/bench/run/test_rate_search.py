"""The rate search against synthetic servers whose true capacity is known."""

from __future__ import annotations

from collections.abc import Callable

from bench.run.rate_search import RateSearch, SearchResult, StepOutcome, StepVerdict


def _server(
    capacity_rps: float, *, generator_limit_rps: float = 1e9
) -> tuple[list[float], Callable[[float], StepOutcome]]:
    tried: list[float] = []

    def measure(rate: float) -> StepOutcome:
        tried.append(rate)
        if rate > generator_limit_rps:
            return StepOutcome(rate_rps=rate, verdict=StepVerdict.INVALID, reasons=("generator CPU 99%",))
        verdict = StepVerdict.SUSTAINED if rate <= capacity_rps else StepVerdict.FAILED
        return StepOutcome(rate_rps=rate, verdict=verdict)

    return tried, measure


def search_max_rate(
    measure: Callable[[float], StepOutcome],
    *,
    start_rps: float,
    max_rps: float,
    max_steps: int,
    resolution: float,
) -> SearchResult:
    """Run one search to its end, `measure` judging each rate it asks for."""
    search = RateSearch(start_rps=start_rps, max_rps=max_rps, max_steps=max_steps, resolution=resolution)
    while (rate := search.next_rate()) is not None:
        search.record(measure(rate))
    return search.result()


def test_finds_capacity_within_resolution() -> None:
    tried, measure = _server(3000)
    result = search_max_rate(measure, start_rps=200, max_rps=20000, max_steps=20, resolution=1.1)
    assert 3000 / 1.1 <= result.max_sustained_rps <= 3000
    assert result.first_failed_rps is not None and result.first_failed_rps > 3000
    assert result.first_failed_rps / result.max_sustained_rps <= 1.1
    assert not result.lower_bound
    assert tried[:5] == [200, 400, 800, 1600, 3200]  # geometric ramp first


def test_step_budget_is_respected() -> None:
    tried, measure = _server(3000)
    result = search_max_rate(measure, start_rps=200, max_rps=20000, max_steps=3, resolution=1.1)
    assert len(tried) == 3
    assert result.max_sustained_rps == 800
    assert result.lower_bound  # nothing failed yet: the maximum is at least 800


def test_failing_first_step_searches_downwards() -> None:
    tried, measure = _server(120)
    result = search_max_rate(measure, start_rps=400, max_rps=20000, max_steps=10, resolution=1.2)
    assert tried[:3] == [400, 200, 100]
    assert 100 <= result.max_sustained_rps <= 120


def test_nothing_sustained() -> None:
    _, measure = _server(0)
    result = search_max_rate(measure, start_rps=40, max_rps=20000, max_steps=10, resolution=1.2)
    assert result.max_sustained_rps == 0.0


def test_generator_bound_step_stops_the_search_as_a_lower_bound() -> None:
    tried, measure = _server(1e6, generator_limit_rps=1000)
    result = search_max_rate(measure, start_rps=250, max_rps=20000, max_steps=10, resolution=1.1)
    assert tried == [250, 500, 1000, 2000]
    assert result.max_sustained_rps == 1000
    assert result.lower_bound
    assert "generator CPU" in result.note


def test_max_rps_caps_the_ramp() -> None:
    tried, measure = _server(1e6)
    result = search_max_rate(measure, start_rps=300, max_rps=1000, max_steps=10, resolution=1.1)
    assert max(tried) == 1000
    assert result.lower_bound


def test_searches_can_take_turns() -> None:
    capacities = {"a": 1000.0, "b": 300.0}
    searches = {
        name: RateSearch(start_rps=200, max_rps=5000, max_steps=10, resolution=1.2) for name in capacities
    }
    order: list[str] = []
    while any(s.next_rate() is not None for s in searches.values()):
        for name, search in searches.items():
            rate = search.next_rate()
            if rate is None:
                continue
            order.append(name)
            ok = rate <= capacities[name]
            search.record(
                StepOutcome(rate_rps=rate, verdict=StepVerdict.SUSTAINED if ok else StepVerdict.FAILED)
            )
    assert order[:4] == ["a", "b", "a", "b"]
    assert 1000 / 1.2 <= searches["a"].result().max_sustained_rps <= 1000
    assert 300 / 1.2 <= searches["b"].result().max_sustained_rps <= 300
