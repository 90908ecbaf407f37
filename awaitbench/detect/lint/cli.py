"""The linter's command line, shared by `awaitbench lint` and `python -m awaitbench.detect.lint`:
`add_arguments(parser)` declares the flags once; `run(args, why=...)` lints, prints and returns the exit
code (1 with findings, 0 clean); bad input raises LintUsageError (the caller's exit code 2).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from awaitbench.detect.lint.findings import SEVERITIES
from awaitbench.detect.lint.output import FORMATS

__all__ = ["add_arguments", "run"]


def _codes(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The lint flags: paths, --format, --select, --ignore, --exclude, --extend-exclude, --include-tests,
    --min-severity."""
    parser.add_argument("paths", nargs="+", metavar="PATH", help="Python files or directories to lint")
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="output format (default text; sarif for code scanning)",
    )
    parser.add_argument(
        "--select",
        type=_codes,
        metavar="RULES",
        help="comma-separated codes, code prefixes or pitfall ids to run (replaces the config's select)",
    )
    parser.add_argument(
        "--ignore", type=_codes, metavar="RULES", help="comma-separated rules to skip (replaces the config's)"
    )
    parser.add_argument(
        "--exclude",
        type=_codes,
        metavar="GLOBS",
        help="comma-separated globs to skip instead of the defaults (virtualenvs, build folders, ...)",
    )
    parser.add_argument(
        "--extend-exclude", type=_codes, metavar="GLOBS", help="comma-separated globs to skip as well"
    )
    parser.add_argument(
        "--include-tests",
        action="store_true",
        default=None,
        help="lint test files too (tests/, test_*.py, *_test.py, conftest.py are skipped by default)",
    )
    parser.add_argument(
        "--min-severity",
        choices=SEVERITIES,
        help="report only findings of this severity or worse (default low: everything)",
    )


def run(args: argparse.Namespace, *, why: Mapping[str, str] | None = None, out: TextIO | None = None) -> int:
    """Lint `args.paths` and print the findings in `args.format`; 1 when there are findings, else 0.

    Raises:
        LintUsageError: a missing or unreadable path, an unknown rule, a malformed config table.
    """
    from awaitbench.detect.lint.config import load_config
    from awaitbench.detect.lint.engine import lint_paths
    from awaitbench.detect.lint.output import render

    out = out or sys.stdout
    config = load_config([Path(p) for p in args.paths]).with_overrides(
        select=args.select,
        ignore=args.ignore,
        exclude=args.exclude,
        extend_exclude=args.extend_exclude,
        include_tests=args.include_tests,
        min_severity=args.min_severity,
    )
    rules = config.rules()
    result = lint_paths(args.paths, config, why=why)
    for line in result.skipped:
        print(f"warning: {line}", file=sys.stderr)
    text = render(result, args.format, rules)
    if text:
        print(text, file=out)
    return 1 if result.findings else 0
