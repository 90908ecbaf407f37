"""The committed JSON Schemas are the ones the typed documents generate (scripts/schemas.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("schemas", ROOT / "scripts" / "schemas.py")
assert _spec is not None and _spec.loader is not None
schemas = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(schemas)


@pytest.mark.parametrize("path", schemas.paths())
def test_committed_schema_is_generated_from_its_types(path: str) -> None:
    assert (ROOT / path).read_text(encoding="utf-8") == schemas.render(path), (
        f"{path} is stale; run `python scripts/schemas.py`"
    )
