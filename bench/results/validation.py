"""Every results file is checked against `schema.json` before it is used, so bad content is one clear line.

Why: a hand-edited, truncated or foreign file used to surface as a `TypeError` deep inside a chart. The
schema already documents the format (a test keeps it in step with the dataclasses); checking against it
names the file and the field that is wrong, which is what the user needs to fix or re-run.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, Literal

import jsonschema

__all__ = ["SCHEMA_PATH", "DocumentKind", "schema", "validation_problem"]

SCHEMA_PATH = Path(__file__).with_name("schema.json")
DocumentKind = Literal["manifest", "point"]


@functools.cache
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


@functools.cache
def _validator(kind: DocumentKind) -> jsonschema.Draft202012Validator:
    document = {key: value for key, value in schema().items() if key != "oneOf"}
    document["$ref"] = f"#/$defs/{kind}"
    return jsonschema.Draft202012Validator(document)


def validation_problem(document: object, kind: DocumentKind) -> str | None:
    """None when `document` is a valid `kind`; else one phrase naming the field and what is wrong."""
    error = jsonschema.exceptions.best_match(_validator(kind).iter_errors(document))
    if error is None:
        return None
    where = "/".join(str(part) for part in error.absolute_path)
    message = error.message if len(error.message) <= 120 else error.message[:117] + "..."
    return f"{'field ' + where if where else 'the document'}: {message}"
