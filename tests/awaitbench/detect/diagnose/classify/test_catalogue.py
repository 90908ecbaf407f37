"""Every classifier on the catalogue's recorded variants: it fires on its own scenario's pitfall variant and
stays silent on every fix variant of every scenario (the precision test, without processes)."""

from __future__ import annotations

import pytest

from awaitbench.detect.diagnose.classify import CLASSIFIERS, Classifier
from tests.awaitbench.detect.diagnose.catalogue_fixtures import recorded, recorded_cases

CASES = recorded_cases()


def test_every_classifier_has_its_pitfall_variant_recorded() -> None:
    scenarios = {scenario for _, scenario, role in CASES if role == "pitfall"}
    pitfalls = {classify.__module__.rsplit(".", 1)[-1] for classify in CLASSIFIERS}
    assert pitfalls <= scenarios, f"no recorded pitfall variant for {sorted(pitfalls - scenarios)}"


@pytest.mark.parametrize("classify", CLASSIFIERS, ids=lambda c: c.__module__.rsplit(".", 1)[-1])
@pytest.mark.parametrize(("case_id", "scenario", "role"), CASES, ids=[c[0] for c in CASES])
def test_classifier_on_recorded_variant(classify: Classifier, case_id: str, scenario: str, role: str) -> None:
    pitfall = classify.__module__.rsplit(".", 1)[-1]
    finding = classify(recorded(case_id))
    if role == "pitfall" and scenario == pitfall:
        assert finding is not None, f"{pitfall} missed its own pitfall variant {case_id}"
        assert finding.pitfall == pitfall
        assert finding.evidence and finding.fix and finding.cost
    elif role == "fix":
        assert finding is None, f"{pitfall} fired on the fix variant {case_id}: {finding.evidence}"
