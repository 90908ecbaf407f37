"""The option tables in docs/ are the ones the typed configs generate (scripts/docs_tables.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("docs_tables", ROOT / "scripts" / "docs_tables.py")
assert _spec is not None and _spec.loader is not None
docs_tables = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(docs_tables)


@pytest.mark.parametrize(("page", "name"), sorted(docs_tables.TABLES))
def test_docs_table_matches_its_config(page: str, name: str) -> None:
    text = (ROOT / page).read_text()
    assert docs_tables.render(page, name, text) == text, (
        f"{page}: the '{name}' table is stale; run `python scripts/docs_tables.py`"
    )


def test_render_rewrites_only_between_the_markers() -> None:
    page, name = "docs/fake_llm.md", "fake-llm-settings"
    text = f"# title\n\n<!-- generated: {name} -->\nstale\n<!-- /generated -->\n\nafter\n"
    fresh = docs_tables.render(page, name, text)
    assert fresh.startswith("# title\n\n") and fresh.endswith("<!-- /generated -->\n\nafter\n")
    assert "stale" not in fresh and "`--ttft-ms`" in fresh
    with pytest.raises(SystemExit, match="no '<!-- generated: fake-llm-settings -->' block"):
        docs_tables.render(page, name, "no markers")
