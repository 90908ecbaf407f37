"""The precision test on the catalogue and the example service: `awaitbench lint` reports exactly the
pitfall variants (and the example's planted pitfalls), each with its own rule, and nothing else. Variant
lines come from the scenario modules' AST and `SCENARIO.variants`; the reference variants' decisions are
in docs/lint.md ("The catalogue and the corpora").
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

from awaitbench.detect.lint import RULES, Finding, lint_paths
from scenarios import catalogue
from scenarios.model import Role

ROOT = Path(__file__).resolve().parents[4]
SCENARIOS = ROOT / "scenarios"
EXAMPLE = ROOT / "examples" / "llm_service" / "app.py"
RULE_OF = {rule.pitfall: rule.code for rule in RULES}
REFERENCE_EXPECTED = {("per_request_client", "httpx_per_request"): {"AWB103"}}


def _function_lines(module_path: Path) -> dict[str, range]:
    tree = ast.parse(module_path.read_text(encoding="utf-8"))
    return {
        node.name: range(node.lineno, (node.end_lineno or node.lineno) + 1)
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


def _variants() -> list[tuple[str, str, Role, Path, range]]:
    """(scenario id, variant id, role, module file, line range) of every variant in the catalogue."""
    rows = []
    for scenario in catalogue():
        for variant in scenario.variants:
            module, _, function = variant.factory.partition(":")
            path = ROOT.joinpath(*module.split(".")).with_suffix(".py")
            rows.append((scenario.id, variant.id, variant.role, path, _function_lines(path)[function]))
    return rows


def _expected_codes(scenario: str, variant: str, role: str) -> set[str]:
    if role == "pitfall" and scenario in RULE_OF:
        return {RULE_OF[scenario]}
    return REFERENCE_EXPECTED.get((scenario, variant), set())


@pytest.fixture(scope="module")
def findings() -> tuple[Finding, ...]:
    return lint_paths([SCENARIOS]).findings


def test_every_rule_maps_to_a_catalogue_scenario() -> None:
    ids = {scenario.id for scenario in catalogue()}
    assert {rule.pitfall for rule in RULES} <= ids
    assert len({rule.code for rule in RULES}) == len(RULES)


def test_every_pitfall_variant_with_a_rule_is_reported_with_that_rule(findings: tuple[Finding, ...]) -> None:
    missed = []
    for scenario, variant, role, path, lines in _variants():
        for code in _expected_codes(scenario, variant, role):
            if not any(
                Path(f.path).resolve() == path and f.line in lines and f.code == code for f in findings
            ):
                missed.append(f"{scenario}:{variant} ({code})")
    assert not missed, f"not reported: {missed}"
    assert {RULE_OF[s] for s, _, role, _, _ in _variants() if role == "pitfall" and s in RULE_OF} == set(
        RULE_OF.values()
    )


def test_no_finding_outside_the_variants_that_expect_it(findings: tuple[Finding, ...]) -> None:
    allowed: dict[Path, list[tuple[range, set[str]]]] = defaultdict(list)
    for scenario, variant, role, path, lines in _variants():
        allowed[path].append((lines, _expected_codes(scenario, variant, role)))
    stray = [
        f"{f.path}:{f.line} {f.code} {f.message}"
        for f in findings
        if not any(
            f.line in lines and f.code in codes for lines, codes in allowed.get(Path(f.path).resolve(), [])
        )
    ]
    assert not stray, "findings in fix/reference variants or plumbing:\n" + "\n".join(stray)


def test_the_example_service_reports_exactly_its_planted_pitfalls() -> None:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    planted = {
        (number + (0 if line.split("#")[0].strip() else 1), line.split("# PITFALL ")[1].split(":")[0])
        for number, line in enumerate(lines, start=1)
        if "# PITFALL " in line
    }
    found = {(f.line, f.pitfall) for f in lint_paths([EXAMPLE.parent]).findings}
    assert len(planted) == 4
    assert found == planted
