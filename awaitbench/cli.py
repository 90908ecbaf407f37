"""The one command-line entry point: `awaitbench <command>`.

Each command lives in its own module under `awaitbench/commands/` and registers a sub-parser; this module
owns the single place where typed errors become a one-line message and an exit code
(2 for usage and environment errors, 1 for other failures, 130 for Ctrl-C).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from awaitbench.commands import COMMAND_MODULES
from awaitbench.options import OneLineParser, interrupt_on_sigterm
from bench.errors import AwaitbenchError, UsageError

__all__ = ["build_parser", "main"]

PROG = "awaitbench"


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROG,
        description="Measure what async mistakes cost in Python LLM services.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    sub.required = True
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def _usage_error_types() -> tuple[type[BaseException], ...]:
    """Every package's own usage errors (each package has its own types; only this module knows them all)."""
    from bench.results import ResultsError
    from fake_llm.errors import ConfigError
    from reports.errors import ReportUsageError
    from scenarios.errors import ScenarioConfigError, UnknownScenarioError

    return (
        UsageError,
        ConfigError,
        UnknownScenarioError,
        ScenarioConfigError,
        ResultsError,
        ReportUsageError,
    )


def _failure_types() -> tuple[type[BaseException], ...]:
    """Failures the user can act on that are not usage errors: exit code 1."""
    from reports.errors import ReportError

    return (ReportError,)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    interrupt_on_sigterm()  # children are cleaned up exactly as on Ctrl-C
    try:
        return int(args.handler(args) or 0)
    except _usage_error_types() as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except AwaitbenchError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except _failure_types() as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
