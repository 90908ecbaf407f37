"""The one error type the linter raises for bad input; the CLI turns it into a one-line message."""

from __future__ import annotations

__all__ = ["LintUsageError"]


class LintUsageError(ValueError):
    """Bad input detected before any file is linted: an unreadable path, an unknown rule code in
    `--select`/`--ignore`, or a malformed `[tool.awaitbench.lint]` table. The message says what was wrong
    and how to fix it, on one line."""
