"""`awaitbench lint`: static rules for the async pitfalls that general-purpose linters miss.

Public API:
- `lint_paths(paths, config, why=...)` -> `LintResult` (findings, files, lines, skipped files);
- `lint_sources(...)` for already-read text; `LintConfig`, `load_config(paths)`; `RULES`;
- `Finding` (frozen: path, line, col, code, pitfall, message, fix); `LintUsageError`;
- `render(result, fmt)` in `detect.lint.output` for text, json, sarif and github output.
"""

from __future__ import annotations

from detect.lint.config import LintConfig, load_config
from detect.lint.engine import LintResult, lint_paths, lint_sources
from detect.lint.errors import LintUsageError
from detect.lint.findings import Finding
from detect.lint.rules import RULES

__all__ = [
    "RULES",
    "Finding",
    "LintConfig",
    "LintResult",
    "LintUsageError",
    "lint_paths",
    "lint_sources",
    "load_config",
]
