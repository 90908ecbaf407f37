"""The capacity search on a synthetic server whose capacity is known: pure logic, no process.

The synthetic server answers like a FIFO queue in front of a server of capacity C and unloaded latency
L, over a short run of T seconds (warm-up + window): below C every request takes about L; above C the
queue grows by (rate - C) requests per second, so the p99 of the run is L plus the wait of the last
requests, (rate / C - 1) * T, the backlog grows, and far beyond C requests are left unanswered.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from bench.results import ArrivalFigures, CapacityResult, LoadgenFigures, PointRecord, SteadyState
from bench.results.ids import point_id
from bench.run.capacity import CapacityCriteria, find_capacity, judge_point, start_rate
from bench.run.rate_search import StepVerdict
from tests.results_builders import latency_with_p99

_RUN_S = 4.0
_WINDOW_S = 3.0


def _point(
    rate: float,
    *,
    p99_ms: float,
    lower_bound: bool = False,
    steady: bool = True,
    failures: int = 0,
    dropped: int = 0,
    lag_p99_ms: float = 0.5,
    generator_cpu: float = 20.0,
) -> PointRecord:
    requests = max(int(rate * _WINDOW_S), 1)
    return PointRecord(
        scenario="demo",
        variant="bad",
        loop="uvloop",
        users=0,
        load="rate",
        offered_rps=rate,
        status="ok",
        valid=True,
        requests=requests,
        failures=failures,
        throughput_rps=(requests - failures) / _WINDOW_S,
        latency=latency_with_p99(p99_ms, lower_bound=lower_bound),
        loadgen=LoadgenFigures(cpu_percent=generator_cpu, processes=1),
        steady_state=SteadyState(
            reached=steady,
            first_half_rps=rate,
            second_half_rps=rate,
            in_flight_whole_window=0,
            reasons=() if steady else ("the server fell behind the offered rate",),
        ),
        arrival=ArrivalFigures(
            arrival="constant",
            offered_rps=rate,
            issued=requests,
            dropped=dropped,
            max_outstanding=1000,
            seed=1,
            schedule_lag_p50_ms=0.1,
            schedule_lag_p99_ms=lag_p99_ms,
            schedule_lag_max_ms=lag_p99_ms,
        ),
    )


@dataclass
class SyntheticServer:
    """A FIFO server of known capacity; `measured` lists the rates offered to it, in order."""

    capacity_rps: float
    latency_ms: float = 100.0
    generator_limit_rps: float = float("inf")
    measured: list[float] = field(default_factory=list)

    def __call__(self, rate: float) -> PointRecord:
        self.measured.append(rate)
        if rate > self.generator_limit_rps:
            return _point(rate, p99_ms=self.latency_ms, lag_p99_ms=25.0, generator_cpu=99.0)
        overload = rate / self.capacity_rps - 1.0
        if overload <= 0:
            return _point(rate, p99_ms=self.latency_ms * (1.0 + 0.2 * rate / self.capacity_rps))
        p99_ms = self.latency_ms + overload * _RUN_S * 1000.0
        return _point(rate, p99_ms=p99_ms, lower_bound=overload > 0.5, steady=overload <= 0.1)


def _search(server: SyntheticServer, *, theory: float | None, slo_ms: float = 500.0) -> CapacityResult:
    return find_capacity(
        server,
        target=("demo", "bad", "uvloop"),
        criteria=CapacityCriteria(slo_p99_ms=slo_ms, min_rate_rps=1.0),
        theory_capacity_rps=theory,
        arrival="constant",
    )


@pytest.mark.parametrize(
    ("capacity", "theory"),
    [
        (10.0, 10.0),  # sync_in_async: the theory is right, W / L
        (9.3, 10.0),  # ... and the app's own overhead costs a little
        (240.0, None),  # an awaited client: no limit in theory, the app's CPU decides
        (37.0, 100.0),  # a theory far too optimistic: the search halves down to the truth
        (150.0, 50.0),  # a theory too pessimistic: the search doubles up to it
    ],
)
def test_the_search_finds_a_known_capacity_within_a_few_points(capacity: float, theory: float | None) -> None:
    server = SyntheticServer(capacity_rps=capacity)
    result = _search(server, theory=theory)
    assert result.capacity_rps is not None
    # Within the SLO means an overload of at most (500 - 100) ms / 4 s = 10 %; below, within the
    # bracket's resolution (15 %) or a rounding to whole req/s.
    assert capacity / 1.3 - 1 <= result.capacity_rps <= 1.1 * capacity
    assert result.first_beyond_rps is not None and result.first_beyond_rps > result.capacity_rps
    assert not result.lower_bound
    assert len(server.measured) <= 5
    assert [s.offered_rps for s in result.steps] == server.measured
    assert result.theory_capacity_rps == theory
    assert {s.verdict for s in result.steps} == {"within", "beyond"}


def test_the_search_starts_below_the_theory_or_the_sdk_ceiling() -> None:
    assert start_rate(10.0) == 8
    assert start_rate(None) == 240  # 80 % of one app process's SDK ceiling (300 req/s)
    assert start_rate(1000.0) == 240
    assert start_rate(1.0, min_rate_rps=3.3) == 4


def test_a_capacity_beyond_the_point_budget_is_a_lower_bound() -> None:
    # The theory says 50, the server takes 2,000: five doublings from 40 never reach a rate beyond it.
    server = SyntheticServer(capacity_rps=2000.0)
    result = _search(server, theory=50.0)
    assert server.measured == [40, 80, 160, 320, 640]
    assert result.capacity_rps == 640 and result.lower_bound
    assert result.first_beyond_rps is None


def test_a_variant_that_never_meets_the_slo_has_no_capacity() -> None:
    # Serial awaits: three 500 ms calls in a row never answer within 500 ms, whatever the rate.
    server = SyntheticServer(capacity_rps=50.0, latency_ms=1500.0)
    result = _search(server, theory=None)
    assert result.capacity_rps is None
    assert all(step.verdict == "beyond" for step in result.steps)
    assert len(server.measured) == 5 and server.measured == sorted(server.measured, reverse=True)


def test_a_generator_bound_rate_stops_the_search_with_a_lower_bound() -> None:
    server = SyntheticServer(capacity_rps=5000.0, generator_limit_rps=700.0)
    result = _search(server, theory=None)
    assert result.capacity_rps == 480
    assert result.lower_bound
    assert result.steps[-1].verdict == "invalid"
    assert "generator" in result.steps[-1].reasons[0]
    assert server.measured == [240, 480, 960]


@pytest.mark.parametrize(
    ("point", "reason"),
    [
        (_point(10.0, p99_ms=650.0), "p99 650 ms > 500 ms"),
        (_point(10.0, p99_ms=300.0, lower_bound=True), "p99 ≥ 300 ms rests on requests never answered"),
        (_point(100.0, p99_ms=120.0, failures=5, dropped=5), "1.7% failed, 5 dropped"),
        (_point(10.0, p99_ms=120.0, steady=False), "fell behind"),
    ],
)
def test_a_point_is_beyond_the_slo_for_each_reason(point: PointRecord, reason: str) -> None:
    outcome = judge_point(point, CapacityCriteria(slo_p99_ms=500.0))
    assert outcome.verdict is StepVerdict.FAILED
    assert any(reason in r for r in outcome.reasons), outcome.reasons


def test_a_point_within_the_slo_and_under_one_percent_failed_is_within() -> None:
    point = _point(300.0, p99_ms=480.0, failures=8)  # 8 of 900: 0.9 %
    assert judge_point(point, CapacityCriteria(slo_p99_ms=500.0)).verdict is StepVerdict.SUSTAINED


def test_the_point_ids_of_the_search_name_the_offered_rate() -> None:
    server = SyntheticServer(capacity_rps=10.0)
    result = _search(server, theory=10.0)
    assert result.steps[0].point_id == point_id("demo", "bad", "uvloop", rate_rps=8.0)
