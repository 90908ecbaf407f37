"""The diagnosis document: its committed schema lists exactly the dataclasses' fields, real output validates
and reads back, unknown versions and bad fields are rejected naming the field."""

from __future__ import annotations

import json
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any

import pytest

from awaitbench.detect.diagnose import evidence as ev
from awaitbench.detect.diagnose.document import (
    SCHEMA_VERSION,
    Diagnosis,
    DocumentError,
    RouteDiagnosis,
    validate_document,
)
from awaitbench.detect.diagnose.findings import Finding
from awaitbench.detect.watchdog.report import Frame
from tests.awaitbench.detect.diagnose.catalogue_fixtures import FIXTURES

SCHEMA = Path(__file__).resolve().parents[4] / "awaitbench" / "detect" / "diagnose" / "schema.json"
DEFS = (
    Diagnosis,
    RouteDiagnosis,
    Finding,
    ev.RouteEvidence,
    ev.RouteRef,
    ev.PhaseFigures,
    ev.UpstreamFigures,
    ev.LoopFigures,
    ev.BlockSite,
    Frame,
    ev.NeverAwaitedSite,
    ev.RetryProbe,
    ev.HangProbe,
)


def _schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return loaded


@pytest.mark.parametrize("cls", DEFS, ids=lambda cls: cls.__name__)
def test_schema_lists_every_dataclass_field(cls: type) -> None:
    """Every field is a property; the ones without a default are required (a reader fills in the rest)."""
    definition = _schema()["$defs"][cls.__name__]
    assert set(definition["properties"]) == {f.name for f in fields(cls)}
    without_default = {f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING}
    assert set(definition.get("required", ())) == without_default


def test_schema_lists_every_top_level_field() -> None:
    schema = _schema()
    assert schema["$ref"] == "#/$defs/Diagnosis"
    top = set(schema["$defs"]["Diagnosis"]["properties"])
    assert top == {f.name for f in fields(Diagnosis)} | {"schema_version"}
    assert schema["$defs"]["Diagnosis"]["properties"]["schema_version"]["const"] == SCHEMA_VERSION


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.json")), ids=lambda p: p.stem)
def test_recorded_documents_validate_and_read_back_unchanged(path: Path) -> None:
    document = json.loads(path.read_text())
    validate_document(document)
    assert Diagnosis.from_json(document).to_json() == document


def test_unknown_version_and_invalid_documents_are_rejected() -> None:
    document = json.loads(next(FIXTURES.glob("*.json")).read_text())
    with pytest.raises(DocumentError, match="schema_version 2 is not supported"):
        validate_document({**document, "schema_version": 2})
    document["routes"][0]["findings"] = [{"pitfall": "nope"}]
    with pytest.raises(DocumentError, match="routes/0/findings/0") as info:
        validate_document(document)
    assert "\n" not in str(info.value)
    assert SCHEMA_VERSION == 1


def test_a_document_from_before_the_settle_check_reads_as_settled() -> None:
    document = json.loads(next(FIXTURES.glob("*.json")).read_text())
    del document["routes"][0]["figures"]["retry"]["settled"]
    validate_document(document)
    (route,) = Diagnosis.from_json(document).routes
    assert route.figures is not None and route.figures.retry is not None and route.figures.retry.settled
