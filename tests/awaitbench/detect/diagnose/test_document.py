"""The diagnosis document: its schema lists exactly the dataclasses' fields, real output validates and
reads back, unknown versions are rejected."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pytest

from awaitbench.detect.diagnose import evidence as ev
from awaitbench.detect.diagnose.document import (
    SCHEMA_VERSION,
    Diagnosis,
    DocumentError,
    RouteDiagnosis,
    schema,
    validate_document,
)
from awaitbench.detect.diagnose.findings import Finding
from awaitbench.detect.watchdog.report import Frame
from tests.awaitbench.detect.diagnose.catalogue_fixtures import FIXTURES

DEFS = {
    "route": RouteDiagnosis,
    "finding": Finding,
    "evidence": ev.RouteEvidence,
    "route_ref": ev.RouteRef,
    "phase": ev.PhaseFigures,
    "upstream": ev.UpstreamFigures,
    "loop": ev.LoopFigures,
    "block_site": ev.BlockSite,
    "frame": Frame,
    "never_awaited": ev.NeverAwaitedSite,
    "retry_probe": ev.RetryProbe,
    "hang_probe": ev.HangProbe,
}


@pytest.mark.parametrize("name", sorted(DEFS))
def test_schema_lists_every_dataclass_field(name: str) -> None:
    definition = schema()["$defs"][name]
    names = {f.name for f in fields(DEFS[name])}
    assert set(definition["properties"]) == names
    assert set(definition["required"]) == names


def test_schema_lists_every_top_level_field() -> None:
    assert set(schema()["properties"]) == {f.name for f in fields(Diagnosis)} | {"schema_version"}


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
    with pytest.raises(DocumentError, match="routes/0/findings/0"):
        validate_document(document)
    assert SCHEMA_VERSION == 1
