"""Snapshot of scenario metadata for the manifest, so a report never needs the code that produced it.

Each variant's source (its app factory, found through `Variant.factory`) is stored for the report's
side-by-side view of the pitfall and its fix.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
from collections.abc import Sequence
from pathlib import Path

from bench.results import HeadlineInfo, ScenarioInfo, SignalInfo, VariantInfo
from bench.results.named_figures import check_figure
from bench.run.plan import Selection
from scenarios.model import Headline, Scenario, Signal, Variant

__all__ = ["headline_info", "scenario_info", "signal_info", "variant_source"]

_ROOT = Path(__file__).resolve().parents[2]


def variant_source(variant: Variant) -> str:
    """Source of the variant's factory function; "" when it cannot be found (never fails a run)."""
    module_name, _, attr = variant.factory.partition(":")
    with contextlib.suppress(Exception):
        target = importlib.import_module(module_name)
        for part in attr.split("."):
            target = getattr(target, part)
        return inspect.getsource(target)
    return ""


def _module_of(scenario: Scenario) -> tuple[str, str]:
    """(source file relative to the repo, module docstring) of the scenario's first variant."""
    module_name = scenario.variants[0].factory.partition(":")[0] if scenario.variants else ""
    with contextlib.suppress(Exception):
        module = importlib.import_module(module_name)
        path = Path(inspect.getfile(module)).resolve()
        with contextlib.suppress(ValueError):
            path = path.relative_to(_ROOT)
        return str(path), inspect.getdoc(module) or ""
    return "", ""


def signal_info(signal: Signal) -> SignalInfo:
    """The manifest's copy of a declared signal; ValueError when its figure is not one bench can read."""
    check_figure(signal.figure)
    return SignalInfo(
        name=signal.name,
        figure=signal.figure,
        better=signal.better,
        unit=signal.unit,
        kind=signal.kind,
        digits=signal.digits,
        min_gap=signal.min_gap,
    )


def headline_info(headline: Headline) -> HeadlineInfo:
    """The manifest's copy of a scenario's headline; ValueError when its metric is not one bench can read."""
    check_figure(headline.metric)
    return HeadlineInfo(
        metric=headline.metric,
        name=headline.name,
        better=headline.better,
        users=headline.users,
        text=headline.text,
        unit=headline.unit,
        digits=headline.digits,
        min_gap=headline.min_gap,
        caveat=headline.caveat,
    )


def scenario_info(selection: Selection, all_variants: bool = True) -> ScenarioInfo:
    scenario = selection.scenario
    variants: Sequence[Variant] = scenario.variants if all_variants else selection.variants
    source_file, module_doc = _module_of(scenario)
    return ScenarioInfo(
        id=scenario.id,
        title=scenario.title,
        pitfall=scenario.pitfall,
        fix=scenario.fix,
        signature=scenario.signature,
        pitfall_variant=scenario.pitfall_variant,
        fix_variant=scenario.fix_variant,
        variants=tuple(
            VariantInfo(id=v.id, title=v.title, role=v.role, summary=v.summary, code=variant_source(v))
            for v in variants
        ),
        upstream_latency_ms=scenario.upstream.latency_ms,
        source_file=source_file,
        module_doc=module_doc,
        signals=tuple(signal_info(signal) for signal in scenario.signals),
        evidence_at_upstream=scenario.evidence_at_upstream,
        headline=headline_info(scenario.headline),
        loads=scenario.loads,
    )
