"""Regenerate the option tables in docs/ from the typed configs: `python scripts/docs_tables.py`.

Each table sits between `<!-- generated: NAME -->` and `<!-- /generated -->` in a docs page; the test
`tests/test_docs_tables.py` fails when a page and its config disagree, and names this script.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _run_options() -> str:
    from bench.options import markdown_table
    from bench.run.config import ENV_PREFIX, RunConfig

    return markdown_table(RunConfig, env_prefix=ENV_PREFIX)


def _perf_options() -> str:
    from bench.options import markdown_table
    from bench.selfperf.config import ENV_PREFIX, PerfConfig

    return markdown_table(PerfConfig, env_prefix=ENV_PREFIX)


def _diagnose_options() -> str:
    from bench.diagnose.config import ENV_PREFIX, DiagnoseConfig
    from bench.options import markdown_table

    return markdown_table(DiagnoseConfig, env_prefix=ENV_PREFIX)


def _demo_options() -> str:
    from bench.demo.config import ENV_PREFIX, DemoConfig
    from bench.options import markdown_table

    return markdown_table(DemoConfig, env_prefix=ENV_PREFIX)


# (page, block name) -> what goes between the markers
TABLES: dict[tuple[str, str], Callable[[], str]] = {
    ("docs/bench.md", "run-options"): _run_options,
    ("docs/perf.md", "perf-options"): _perf_options,
    ("docs/diagnose.md", "diagnose-options"): _diagnose_options,
    ("docs/demo.md", "demo-options"): _demo_options,
}


def block_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- generated: {re.escape(name)} -->\n)(.*?)(<!-- /generated -->)", re.DOTALL)


def render(page: str, name: str, text: str) -> str:
    """`text` with the block `name` replaced by a fresh table."""
    fresh = TABLES[(page, name)]()
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
