"""Which points a run measures, in which order: resolved from the selection before anything starts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bench.results import point_id
from bench.run.config import Loop, RunConfig, default_reference_users
from scenarios.model import Scenario, Variant

__all__ = [
    "POINT_OVERHEAD_S",
    "PlannedPoint",
    "Selection",
    "build_plan",
    "capacity_targets",
    "estimate_seconds",
    "select",
    "summary_users_for",
    "variant_loads",
]

# Seconds a point costs beyond warm-up + window: starting fake_llm and the app (in parallel), Locust's
# start-up, reading the figures and stopping everything. Measured on a 2-core machine; used for the ETA.
POINT_OVERHEAD_S = 2.5


@dataclass(frozen=True, kw_only=True)
class Selection:
    """A scenario and the variants of it that the run measures, in the scenario's order."""

    scenario: Scenario
    variants: tuple[Variant, ...]


@dataclass(frozen=True, kw_only=True)
class PlannedPoint:
    """One (scenario, variant, loop, load) measurement to make: `users` closed-loop users, or (with
    `rate_rps` set and `users` 0) an open loop at that offered rate."""

    scenario: Scenario
    variant: Variant
    loop: Loop
    users: int = 0
    rate_rps: float | None = None
    profile: bool = False

    @property
    def id(self) -> str:
        if self.rate_rps is not None:
            return point_id(self.scenario.id, self.variant.id, self.loop, rate_rps=self.rate_rps)
        return point_id(self.scenario.id, self.variant.id, self.loop, self.users)

    @property
    def load_label(self) -> str:
        """ "u10" or "40 req/s", for the progress bar."""
        return f"u{self.users}" if self.rate_rps is None else f"{self.rate_rps:g} req/s"


def _pair_only(scenario: Scenario) -> tuple[Variant, ...]:
    wanted = {scenario.pitfall_variant, scenario.fix_variant}
    return tuple(v for v in scenario.variants if v.id in wanted)


def select(
    selectors: Sequence[str], catalogue: Sequence[Scenario], *, quick: bool = False
) -> tuple[Selection, ...]:
    """Resolve selectors against the catalogue.

    Args:
        selectors: scenario ids or `scenario:variant`; empty = every scenario (core six only when quick).
        catalogue: the scenarios, in catalogue order.
        quick: keep only each scenario's pitfall and fix variants.

    Raises:
        UnknownScenarioError: a selector names no scenario or variant.
    """
    from scenarios.errors import UnknownScenarioError

    by_id = {s.id: s for s in catalogue}
    if not selectors:
        chosen = [s for s in catalogue if s.core or not quick]
        return tuple(Selection(scenario=s, variants=_pair_only(s) if quick else s.variants) for s in chosen)
    wanted: dict[str, list[str] | None] = {}
    for selector in selectors:
        scenario_id, colon, variant_id = selector.partition(":")
        if colon and not variant_id:
            raise UnknownScenarioError(
                f"'{selector}' names no variant after the colon: write '{scenario_id}' for all its "
                f"variants or '{scenario_id}:VARIANT' for one"
            )
        if scenario_id not in by_id:
            known = ", ".join(by_id) or "(none)"
            raise UnknownScenarioError(f"unknown scenario '{scenario_id}' (scenarios: {known})")
        scenario = by_id[scenario_id]
        if not variant_id:
            wanted[scenario_id] = None
            continue
        scenario.variant(variant_id)  # raises with the list of valid variants
        current = wanted.setdefault(scenario_id, [])
        if current is not None and variant_id not in current:
            current.append(variant_id)
    selections = []
    for scenario in catalogue:
        if scenario.id not in wanted:
            continue
        ids = wanted[scenario.id]
        if ids is None:
            variants = _pair_only(scenario) if quick else scenario.variants
        else:
            variants = tuple(v for v in scenario.variants if v.id in ids)
        selections.append(Selection(scenario=scenario, variants=variants))
    if not selections:
        raise UnknownScenarioError("the selection is empty: no scenario matched")
    return tuple(selections)


def _pair_loads(config: RunConfig, scenario: Scenario) -> tuple[int, ...]:
    if config.users is not None:
        return config.users
    return (scenario.headline.users,) if config.quick else scenario.loads


def variant_loads(config: RunConfig, scenario: Scenario, variant: Variant) -> tuple[int, ...]:
    """The user counts one variant is measured at (see the module docstring)."""
    if config.users is None and variant.id not in (scenario.pitfall_variant, scenario.fix_variant):
        return (scenario.headline.users,)
    return _pair_loads(config, scenario)


def summary_users_for(config: RunConfig, scenario: Scenario) -> int:
    """The load the summary compares this scenario's pitfall and fix at: `--reference-users` when the
    pair is measured there, else the headline load when it is, else 100 when measured, else the highest."""
    loads = _pair_loads(config, scenario)
    if config.reference_users in loads:
        return config.reference_users
    if scenario.headline.users in loads:
        return scenario.headline.users
    return default_reference_users(loads)


def _rate_plan(config: RunConfig, selections: Sequence[Selection]) -> tuple[PlannedPoint, ...]:
    rates = sorted(config.rates or ())
    return tuple(
        PlannedPoint(
            scenario=sel.scenario,
            variant=variant,
            loop=loop,
            rate_rps=rate,
            profile=config.profile and rate == max(rates),
        )
        for sel in selections
        for variant in sel.variants
        for loop in config.loops
        for rate in rates
    )


def build_plan(config: RunConfig, selections: Sequence[Selection]) -> tuple[PlannedPoint, ...]:
    """Points in run order: scenario, variant, loop, then users (or offered rates) ascending; empty for
    `--find-capacity`, whose searches choose their rates as they go.

    With `config.profile`, the highest-load point of each (variant, loop) is the one profiled.
    """
    if config.find_capacity:
        return ()
    if config.rates is not None:
        return _rate_plan(config, selections)
    points: list[PlannedPoint] = []
    for sel in selections:
        for variant in sel.variants:
            loads = variant_loads(config, sel.scenario, variant)
            for loop in config.loops:
                for users in loads:
                    points.append(
                        PlannedPoint(
                            scenario=sel.scenario,
                            variant=variant,
                            loop=loop,
                            users=users,
                            profile=config.profile and users == max(loads),
                        )
                    )
    return tuple(points)


def estimate_seconds(config: RunConfig, n_points: int) -> float:
    """Wall time the plan should take: each point costs overhead + warm-up + window."""
    return n_points * (POINT_OVERHEAD_S + config.warmup_s + config.duration_s)


def capacity_targets(config: RunConfig, selections: Sequence[Selection]) -> tuple[PlannedPoint, ...]:
    """`--find-capacity`: one search per (scenario, variant, loop), as a point template (no load yet)."""
    return tuple(
        PlannedPoint(scenario=sel.scenario, variant=variant, loop=loop)
        for sel in selections
        for variant in sel.variants
        for loop in config.loops
    )
