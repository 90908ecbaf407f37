"""Validate results files against the committed bench/results/schema.json (generated from the records),
raising jsonschema's own error for tests: what a reader outside awaitbench would check."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, Literal

import jsonschema

__all__ = ["SCHEMA_PATH", "load_schema", "validate", "validate_run_dir"]

SCHEMA_PATH = Path(__file__).resolve().parents[3] / "bench" / "results" / "schema.json"
_DEFINITION = {"manifest": "Manifest", "point": "PointRecord"}


@functools.cache
def load_schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


def validate(document: Any, kind: Literal["manifest", "point"]) -> None:
    """Raise jsonschema.ValidationError unless `document` is a valid `kind`."""
    wrapper = {key: value for key, value in load_schema().items() if key != "oneOf"}
    wrapper["$ref"] = f"#/$defs/{_DEFINITION[kind]}"
    jsonschema.Draft202012Validator(wrapper).validate(document)


def validate_run_dir(run_dir: Path) -> int:
    """Validate manifest.json and every point file; returns the number of points."""
    validate(json.loads((run_dir / "manifest.json").read_text()), "manifest")
    points = sorted((run_dir / "points").glob("*.json"))
    for path in points:
        validate(json.loads(path.read_text()), "point")
    return len(points)
