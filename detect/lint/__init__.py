"""`awaitbench lint`: static rules for the async pitfalls that general-purpose linters miss.

Public API (imported on first use, so `import detect.lint.cli` stays cheap for a CLI's start-up):
- `lint_paths(paths, config, why=...)` -> `LintResult` (findings, files, lines, skipped files);
- `lint_sources(...)` for already-read text; `LintConfig`, `load_config(paths)`; `RULES`;
- `Finding` (frozen: path, line, col, code, pitfall, message, fix); `LintUsageError`;
- `render(result, fmt, rules)` in `detect.lint.output` for text, json, sarif and github output.
"""

from __future__ import annotations

import importlib
from typing import Any

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

_HOMES = {
    "RULES": "detect.lint.rules",
    "Finding": "detect.lint.findings",
    "LintConfig": "detect.lint.config",
    "LintResult": "detect.lint.engine",
    "LintUsageError": "detect.lint.errors",
    "lint_paths": "detect.lint.engine",
    "lint_sources": "detect.lint.engine",
    "load_config": "detect.lint.config",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'detect.lint' has no attribute '{name}'")
    return getattr(importlib.import_module(home), name)
