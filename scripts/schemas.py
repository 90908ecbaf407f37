"""Regenerate the committed JSON Schemas from the typed documents: `python scripts/schemas.py`.

Each schema is pydantic's `TypeAdapter.json_schemas()` of the dataclasses the readers validate with
(validation mode: a key with a default may be missing). `tests/test_schemas.py` fails when a committed
schema and its types disagree, and names this script.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import TypeAdapter
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


class _Untitled(GenerateJsonSchema):
    """pydantic's schema without the titles it derives from field names ("P99 Ms")."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


class Document(NamedTuple):
    """One committed schema: its versioned id, what it describes, and the types (one per document kind)."""

    id: str
    title: str
    description: str
    types: dict[str, type]


def _documents() -> dict[str, Document]:
    from awaitbench.detect.diagnose.document import Diagnosis
    from bench.results import Manifest, PointRecord

    return {
        "bench/results/schema.json": Document(
            id="https://awaitbench.invalid/results/v1.json",
            title="awaitbench results, schema_version 1",
            description="manifest.json and points/<point_id>.json of an 'awaitbench run' results directory "
            "(bench/results/records.py). Readers ignore unknown keys and reject other schema versions; "
            "removing or renaming a key bumps schema_version.",
            types={"manifest": Manifest, "point": PointRecord},
        ),
        "awaitbench/detect/diagnose/schema.json": Document(
            id="https://awaitbench.invalid/diagnose/v1.json",
            title="awaitbench diagnose, schema_version 1",
            description="The document `awaitbench diagnose --json FILE` writes (awaitbench/detect/diagnose/"
            "document.py and evidence.py). Readers ignore unknown keys and reject other schema versions.",
            types={"diagnosis": Diagnosis},
        ),
    }


def generate(document: Document) -> dict[str, Any]:
    mode: JsonSchemaMode = "validation"
    inputs: list[tuple[str, JsonSchemaMode, TypeAdapter[Any]]] = [
        (kind, mode, TypeAdapter(cls)) for kind, cls in document.types.items()
    ]
    refs, schema = TypeAdapter.json_schemas(inputs, schema_generator=_Untitled)
    roots = [refs[(kind, mode)] for kind in document.types]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": document.id,
        "title": document.title,
        "description": document.description,
        **(roots[0] if len(roots) == 1 else {"oneOf": roots}),
        **schema,
    }


def render(path: str) -> str:
    return json.dumps(generate(_documents()[path]), indent=2) + "\n"


def paths() -> list[str]:
    return sorted(_documents())


def main() -> int:
    for path in paths():
        (ROOT / path).write_text(render(path), encoding="utf-8")
        print(f"updated {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
