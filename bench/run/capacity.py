"""Capacity at an SLO: the highest offered rate a variant sustains with its p99 within the SLO, found by a
bounded rate search (`bench.run.rate_search`) over fresh open-loop points. The rules are pure
(`judge_point`, and `find_capacity` with an injected `measure`); docs/bench.md, "Capacity at an SLO",
has the criteria, the search and its resolution.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from bench.measure.validity import (
    FAKE_LLM_CPU_LIMIT_PERCENT,
    LOADGEN_CPU_LIMIT_PERCENT,
    SCHEDULE_LAG_LIMIT_MS,
)
from bench.results import CapacityResult, CapacityStep, PointRecord
from bench.results.records import Arrival, CapacityVerdict, Loop
from bench.run.rate_search import RateSearch, StepOutcome, StepVerdict
from scenarios.model import SDK_APP_CEILING_RPS

__all__ = [
    "CAPACITY_MAX_POINTS",
    "MAX_FAILED_SHARE",
    "CapacityCriteria",
    "find_capacity",
    "judge_point",
    "start_rate",
]

CAPACITY_MAX_POINTS = 5  # per variant: a ramp of two or three, then a bisection or two
MAX_FAILED_SHARE = 0.01
_START_SHARE = 0.8  # start just below the theory's capacity: the first point is then usually within
_RESOLUTION = 1.15  # stop once the bracket [within, beyond] is narrower than this ratio
_MAX_RATE_RPS = 10_000.0  # well inside one generator process's reach on one core (docs/bench.md)
_VERDICTS: dict[StepVerdict, CapacityVerdict] = {
    StepVerdict.SUSTAINED: "within",
    StepVerdict.FAILED: "beyond",
    StepVerdict.INVALID: "invalid",
}


@dataclass(frozen=True, kw_only=True)
class CapacityCriteria:
    """What a rate must meet to count as within.

    Args:
        slo_p99_ms: the p99 latency over every request issued in the window, ms.
        max_failed_share: failed answers (dropped requests included) per answer, below this.
        min_rate_rps: never offer less (the window must hold enough requests to judge a p99).
        max_points: points per variant at most.
    """

    slo_p99_ms: float
    max_failed_share: float = MAX_FAILED_SHARE
    min_rate_rps: float = 1.0
    max_points: int = CAPACITY_MAX_POINTS


def start_rate(theory_capacity_rps: float | None, *, min_rate_rps: float = 1.0) -> float:
    """Where a variant's search starts: 80 % of what the theory says it sustains (the SDK ceiling of one
    app process when the theory sets no limit), never below `min_rate_rps`."""
    ceiling = min(theory_capacity_rps or math.inf, SDK_APP_CEILING_RPS)
    return max(round(_START_SHARE * ceiling), math.ceil(min_rate_rps))


def _generator_bound(point: PointRecord) -> list[str]:
    """Why the load generator or fake_llm, not the app, limited the point (empty: they did not)."""
    reasons = []
    if point.loadgen is not None and point.loadgen.cpu_percent > LOADGEN_CPU_LIMIT_PERCENT:
        reasons.append(f"generator CPU {point.loadgen.cpu_percent:.0f}%")
    lag = point.arrival.schedule_lag_p99_ms if point.arrival is not None else None
    if lag is not None and lag > SCHEDULE_LAG_LIMIT_MS:
        reasons.append(f"generator schedule lag p99 {lag:.1f} ms")
    upstream_cpu = point.upstream.cpu_percent if point.upstream is not None else None
    if upstream_cpu is not None and upstream_cpu > FAKE_LLM_CPU_LIMIT_PERCENT:
        reasons.append(f"fake_llm CPU {upstream_cpu:.0f}%")
    return reasons


def _beyond_reasons(point: PointRecord, criteria: CapacityCriteria) -> list[str]:
    latency = point.latency
    reasons = []
    if latency is None:
        return ["no request answered in the window"]
    slo = criteria.slo_p99_ms
    if latency.is_lower_bound("p99_ms"):
        reasons.append(f"p99 ≥ {latency.p99_ms:,.0f} ms rests on requests never answered")
    elif latency.p99_ms > slo:
        reasons.append(f"p99 {latency.p99_ms:,.0f} ms > {slo:,.0f} ms")
    share = point.failures / point.requests if point.requests else 1.0
    if share >= criteria.max_failed_share:
        dropped = f", {point.dropped} dropped" if point.dropped else ""
        reasons.append(f"{share:.1%} failed{dropped}")
    if not point.steady and point.steady_state is not None:
        reasons += list(point.steady_state.reasons) or ["not at a steady state"]
    return reasons


def judge_point(point: PointRecord, criteria: CapacityCriteria) -> StepOutcome:
    """Within, beyond or invalid, with the reasons a reader sees."""
    rate = float(point.offered_rps or 0.0)
    if point.status != "ok":
        return StepOutcome(rate_rps=rate, verdict=StepVerdict.FAILED, reasons=(point.error or "failed",))
    bound = _generator_bound(point)
    if bound:
        return StepOutcome(rate_rps=rate, verdict=StepVerdict.INVALID, reasons=tuple(bound))
    beyond = _beyond_reasons(point, criteria)
    if beyond:
        return StepOutcome(rate_rps=rate, verdict=StepVerdict.FAILED, reasons=tuple(beyond))
    return StepOutcome(rate_rps=rate, verdict=StepVerdict.SUSTAINED)


def find_capacity(
    measure: Callable[[float], PointRecord],
    *,
    target: tuple[str, str, Loop],
    criteria: CapacityCriteria,
    theory_capacity_rps: float | None,
    arrival: Arrival,
    on_step: Callable[[int, StepOutcome], None] | None = None,
) -> CapacityResult:
    """Search one variant's capacity: `measure(rate)` runs one point at that offered rate.

    Args:
        measure: runs one open-loop point at the given offered rate and returns its record.
        target: (scenario, variant, loop) the points belong to.
        criteria: the SLO and the search's bounds.
        theory_capacity_rps: the scenario's prediction (None: no limit in theory); the search starts below it.
        arrival: the arrival process of the points (recorded with the result).
        on_step: called with (points so far, outcome) after each point (the progress bar).
    """
    search = RateSearch(
        start_rps=start_rate(theory_capacity_rps, min_rate_rps=criteria.min_rate_rps),
        max_rps=_MAX_RATE_RPS,
        max_steps=criteria.max_points,
        resolution=_RESOLUTION,
        min_rps=criteria.min_rate_rps,
    )
    steps: list[CapacityStep] = []
    while (rate := search.next_rate()) is not None:
        point = measure(rate)
        outcome = judge_point(point, criteria)
        search.record(outcome)
        steps.append(
            CapacityStep(
                offered_rps=rate,
                verdict=_VERDICTS[outcome.verdict],
                point_id=point.id,
                reasons=outcome.reasons,
            )
        )
        if on_step is not None:
            on_step(len(steps), outcome)
    result = search.result()
    scenario, variant, loop = target
    return CapacityResult(
        scenario=scenario,
        variant=variant,
        loop=loop,
        arrival=arrival,
        slo_p99_ms=criteria.slo_p99_ms,
        max_failed_share=criteria.max_failed_share,
        capacity_rps=result.max_sustained_rps or None,
        first_beyond_rps=result.first_failed_rps,
        lower_bound=result.lower_bound and result.max_sustained_rps > 0,
        theory_capacity_rps=theory_capacity_rps,
        steps=tuple(steps),
        note=result.note.replace(" rps", " req/s"),
    )
