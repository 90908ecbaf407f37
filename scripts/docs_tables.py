"""Regenerate the option tables in docs/ from the typed configs: `python scripts/docs_tables.py`.

Each table sits between `<!-- generated: NAME -->` and `<!-- /generated -->` in a docs page; the test
`tests/test_docs_tables.py` fails when a page and its config disagree, and names this script.
"""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


# (page, block name) -> the module whose `OPTIONS` make the table
TABLES: dict[tuple[str, str], str] = {
    ("docs/bench.md", "run-options"): "bench.run.config",
    ("docs/perf.md", "perf-options"): "bench.selfperf.config",
    ("docs/diagnose.md", "diagnose-options"): "bench.diagnose.config",
    ("docs/fake_llm.md", "fake-llm-settings"): "fake_llm.settings",
    ("docs/demo.md", "demo-options"): "bench.demo.config",
}


def block_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- generated: {re.escape(name)} -->\n)(.*?)(<!-- /generated -->)", re.DOTALL)


def render(page: str, name: str, text: str) -> str:
    """`text` with the block `name` replaced by a fresh table."""
    fresh = importlib.import_module(TABLES[(page, name)]).OPTIONS.markdown_table()
    pattern = block_pattern(name)
    if not pattern.search(text):
        raise SystemExit(f"{page}: no '<!-- generated: {name} -->' block")
    return pattern.sub(lambda m: m.group(1) + fresh + m.group(3), text)


def main() -> int:
    for page, name in TABLES:
        path = ROOT / page
        path.write_text(render(page, name, path.read_text()))
        print(f"updated {page} ({name})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
