"""Validate results files against bench/results/schema.json (jsonschema is a test dependency only)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA_PATH = Path(__file__).resolve().parents[3] / "bench" / "results" / "schema.json"


def load_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text())


def validate(document: Any, kind: str) -> None:
    """Raise jsonschema.ValidationError unless `document` is a valid `kind` ("manifest" or "point")."""
    schema = load_schema()
    wrapper = {**schema, "oneOf": None}
    wrapper.pop("oneOf")
    wrapper["$ref"] = f"#/$defs/{kind}"
    jsonschema.Draft202012Validator(wrapper).validate(document)


def validate_run_dir(run_dir: Path) -> int:
    """Validate manifest.json and every point file; returns the number of points."""
    validate(json.loads((run_dir / "manifest.json").read_text()), "manifest")
    points = sorted((run_dir / "points").glob("*.json"))
    for path in points:
        validate(json.loads(path.read_text()), "point")
    return len(points)
