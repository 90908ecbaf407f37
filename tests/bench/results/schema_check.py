"""Validate results files against bench/results/schema.json, raising jsonschema's own error for tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from bench.results.validation import SCHEMA_PATH, schema

__all__ = ["SCHEMA_PATH", "load_schema", "validate", "validate_run_dir"]


def load_schema() -> dict[str, Any]:
    return schema()


def validate(document: Any, kind: str) -> None:
    """Raise jsonschema.ValidationError unless `document` is a valid `kind` ("manifest" or "point")."""
    wrapper = {key: value for key, value in schema().items() if key != "oneOf"}
    wrapper["$ref"] = f"#/$defs/{kind}"
    jsonschema.Draft202012Validator(wrapper).validate(document)


def validate_run_dir(run_dir: Path) -> int:
    """Validate manifest.json and every point file; returns the number of points."""
    validate(json.loads((run_dir / "manifest.json").read_text()), "manifest")
    points = sorted((run_dir / "points").glob("*.json"))
    for path in points:
        validate(json.loads(path.read_text()), "point")
    return len(points)
