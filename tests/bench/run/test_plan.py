from __future__ import annotations

import pytest

from bench.run.config import RunConfig
from bench.run.plan import build_plan, estimate_seconds, select
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
