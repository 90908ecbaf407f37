"""Lint a source string in-process: the level most rule tests work at."""

from __future__ import annotations

import textwrap
from pathlib import Path

from awaitbench.detect.lint import Finding, lint_sources
from awaitbench.detect.lint.config import select_rules

__all__ = ["codes_at", "lint_text"]


def lint_text(source: str, *select: str, name: str = "snippet.py") -> list[Finding]:
    """Findings for one dedented module (a top-level module: it has no package to import from)."""
    text = textwrap.dedent(source)
    rules = select_rules(select or ("ALL",))
    return list(lint_sources([(Path("/nonexistent-awaitbench-test") / name, name, text)], rules).findings)


def codes_at(source: str, *select: str) -> list[tuple[int, str]]:
    """(line, code) of every finding, sorted; lines count from the first line of the dedented source."""
    return sorted((f.line, f.code) for f in lint_text(source, *select))
