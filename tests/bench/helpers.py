"""Scenario objects for unit tests of pure bench logic (plain data; no app is ever served from them)."""

from __future__ import annotations

from collections.abc import Mapping

from scenarios.model import (
    Headline,
    Prediction,
    Scenario,
    TheoryInput,
    UpstreamProfile,
    Variant,
    littles_law_rps,
)


def _theory(inp: TheoryInput) -> Mapping[str, Prediction]:
    latency = 100.0
    return {
        "bad": Prediction(throughput_rps=1000.0 / latency, latency_ms=inp.users * latency),
        "good": Prediction(throughput_rps=littles_law_rps(inp.users, latency), latency_ms=latency),
    }


def make_scenario(
    scenario_id: str = "demo",
    *,
    core: bool = True,
    extra_variant: bool = True,
    loads: tuple[int, ...] = (1, 10, 100),
    headline_users: int = 10,
) -> Scenario:
    variants = [
        Variant(id="bad", title="Bad", role="pitfall", factory="tests.nowhere:bad"),
        Variant(id="good", title="Good", role="fix", factory="tests.nowhere:good"),
    ]
    if extra_variant:
        variants.append(Variant(id="other", title="Other", role="reference", factory="tests.nowhere:other"))
    return Scenario(
        id=scenario_id,
        title="Demo",
        pitfall="p",
        fix="f",
        signature="s",
        variants=tuple(variants),
        pitfall_variant="bad",
        fix_variant="good",
        upstream=UpstreamProfile(latency_ms=100.0),
        theory=_theory,
        core=core,
        headline=Headline(
            metric="throughput_rps",
            name="req/s",
            better="higher",
            users=headline_users,
            text="{ratio} fewer req/s",
        ),
        loads=loads,
    )
