"""The catalogue's variants as recorded by a real diagnosis (`python -m tests.awaitbench.diagnose_catalogue
--record`): one JSON document per variant in `fixtures/`, read back as `RouteEvidence`."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from awaitbench.detect.diagnose.document import Diagnosis
from awaitbench.detect.diagnose.evidence import RouteEvidence

__all__ = ["FIXTURES", "recorded", "recorded_cases"]

FIXTURES = Path(__file__).parent / "fixtures"


@cache
def recorded(case_id: str) -> RouteEvidence:
    """The evidence of the one route of the recorded variant `scenario__variant`."""
    diagnosis = Diagnosis.from_json(json.loads((FIXTURES / f"{case_id}.json").read_text()))
    (route,) = diagnosis.routes
    assert route.figures is not None, f"{case_id}: the route was not exercised ({route.reason})"
    return route.figures


def recorded_cases() -> list[tuple[str, str, str]]:
    """(case id, scenario, role) of every recorded variant: role "pitfall" or "fix"."""
    from scenarios import get

    found = []
    for path in sorted(FIXTURES.glob("*.json")):
        scenario_id, variant = path.stem.split("__")
        scenario = get(scenario_id)
        role = "pitfall" if variant == scenario.pitfall_variant else "fix"
        found.append((path.stem, scenario_id, role))
    return found
