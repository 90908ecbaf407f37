"""`awaitbench lint`: static rules for the async pitfalls that general-purpose linters miss.

Public API, imported on first use (a CLI's start-up stays cheap): `lint_paths`, `lint_sources`, `LintResult`,
`LintConfig`, `load_config`, `RULES`, `Finding`, `LintUsageError`; `output.render` prints the findings.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the types of the names that `__getattr__` imports on first use
    from awaitbench.detect.lint.config import LintConfig, load_config
    from awaitbench.detect.lint.engine import LintResult, lint_paths, lint_sources
    from awaitbench.detect.lint.errors import LintUsageError
    from awaitbench.detect.lint.findings import Finding
    from awaitbench.detect.lint.rules import RULES

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
    "RULES": "awaitbench.detect.lint.rules",
    "Finding": "awaitbench.detect.lint.findings",
    "LintConfig": "awaitbench.detect.lint.config",
    "LintResult": "awaitbench.detect.lint.engine",
    "LintUsageError": "awaitbench.detect.lint.errors",
    "lint_paths": "awaitbench.detect.lint.engine",
    "lint_sources": "awaitbench.detect.lint.engine",
    "load_config": "awaitbench.detect.lint.config",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'awaitbench.detect.lint' has no attribute '{name}'")
    return getattr(importlib.import_module(home), name)
