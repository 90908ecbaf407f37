from __future__ import annotations

import pytest

from bench.run.config import RunConfig
from bench.run.plan import build_plan, estimate_seconds, select, summary_users_for
from scenarios.errors import UnknownScenarioError
from tests.bench.helpers import make_scenario

CATALOGUE = (make_scenario("alpha"), make_scenario("beta", core=False))


def test_empty_selection_is_everything() -> None:
    selections = select([], CATALOGUE)
    assert [s.scenario.id for s in selections] == ["alpha", "beta"]
    assert [v.id for v in selections[0].variants] == ["bad", "good", "other"]


def test_quick_keeps_core_pitfall_and_fix() -> None:
    selections = select([], CATALOGUE, quick=True)
    assert [s.scenario.id for s in selections] == ["alpha"]
    assert [v.id for v in selections[0].variants] == ["bad", "good"]


def test_variant_selectors_keep_catalogue_order() -> None:
    selections = select(["beta:good", "alpha", "beta:bad", "beta:good"], CATALOGUE)
    assert [s.scenario.id for s in selections] == ["alpha", "beta"]
    assert [v.id for v in selections[1].variants] == ["bad", "good"]


@pytest.mark.parametrize("selector", ["gamma", "alpha:nope", "gamma:bad"])
def test_unknown_selectors_name_the_choices(selector: str) -> None:
    with pytest.raises(UnknownScenarioError, match=r"alpha|bad, good"):
        select([selector], CATALOGUE)


def test_plan_order_and_profile_flags() -> None:
    config = RunConfig(users=(10, 100), loop="both", profile=True, reference_users=100)
    plan = build_plan(config, select(["alpha:bad", "alpha:good"], CATALOGUE))
    assert [p.id for p in plan][:4] == [
        "alpha__bad__uvloop__u10",
        "alpha__bad__uvloop__u100",
        "alpha__bad__asyncio__u10",
        "alpha__bad__asyncio__u100",
    ]
    assert len(plan) == 8
    assert [p.users for p in plan if p.profile] == [100, 100, 100, 100]
    assert estimate_seconds(config, len(plan)) > 8 * (config.warmup_s + config.duration_s)


def test_a_selector_with_an_empty_variant_is_refused() -> None:
    with pytest.raises(UnknownScenarioError, match="names no variant after the colon"):
        select(["alpha:"], CATALOGUE)


def test_default_suite_measures_each_scenario_at_its_own_loads() -> None:
    alpha = make_scenario("alpha", loads=(1, 10, 40, 100), headline_users=10)
    beta = make_scenario("beta", core=False, loads=(5, 20), headline_users=20)
    plan = build_plan(RunConfig(), select([], (alpha, beta)))
    by_variant: dict[str, list[int]] = {}
    for point in plan:
        by_variant.setdefault(f"{point.scenario.id}:{point.variant.id}", []).append(point.users)
    assert by_variant == {
        "alpha:bad": [1, 10, 40, 100],
        "alpha:good": [1, 10, 40, 100],
        "alpha:other": [10],  # a further variant: beside the pair at the headline load only
        "beta:bad": [5, 20],
        "beta:good": [5, 20],
        "beta:other": [20],
    }
    # The ETA follows the plan, whatever the loads.
    assert estimate_seconds(RunConfig(), len(plan)) == len(plan) * estimate_seconds(RunConfig(), 1)


def test_quick_measures_the_pair_at_the_headline_load_and_users_overrides_everyone() -> None:
    alpha = make_scenario("alpha", loads=(1, 10, 40, 100), headline_users=40)
    quick = build_plan(RunConfig(quick=True), select([], (alpha,), quick=True))
    assert [(p.variant.id, p.users) for p in quick] == [("bad", 40), ("good", 40)]
    given = build_plan(RunConfig(users=(2, 3)), select([], (alpha,)))
    assert {(p.variant.id, p.users) for p in given} == {
        (v, u) for v in ("bad", "good", "other") for u in (2, 3)
    }


def test_the_summary_compares_at_the_headline_load_unless_told_otherwise() -> None:
    alpha = make_scenario("alpha", loads=(1, 10, 40, 100), headline_users=10)
    assert summary_users_for(RunConfig(), alpha) == 10
    assert summary_users_for(RunConfig(reference_users=40), alpha) == 40
    assert summary_users_for(RunConfig(reference_users=7), alpha) == 10  # not measured here: the headline's
    assert summary_users_for(RunConfig(users=(10, 100)), alpha) == 10
    assert summary_users_for(RunConfig(users=(20, 100)), alpha) == 100  # headline load not measured
    assert summary_users_for(RunConfig(users=(5, 20)), alpha) == 20
