"""`awaitbench lint PATH...`: static rules for the catalogue's pitfalls, each finding with its cost.

The linter is `awaitbench.detect.lint`; this command adds why each pitfall matters: the catalogue's
one-line theory, or with `--results DIR` the cost measured there ("x10 less throughput at 10 users").
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from awaitbench.commands.toolkit import missing_toolkit, require_toolkit
from bench.errors import UsageError

if TYPE_CHECKING:
    from bench.results.summary import PairSummary

__all__ = ["register", "why_texts"]

_NOISE_RATIO = 1.15  # ratios closer to 1 are run-to-run noise (the same band as reports.summary)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from awaitbench.detect.lint.cli import add_arguments

    parser = subparsers.add_parser(
        "lint",
        help="Find the catalogue's async pitfalls in source code (exit 1 when any is found)",
        description="Static rules for the async pitfalls general linters miss (sync SDK clients in async "
        "code, clients built per request, serial awaits, unbounded fan-out, blocking work reached through "
        "helpers, no deadline, stacked retries, forgotten awaits). See docs/lint.md.",
    )
    add_arguments(parser)
    parser.add_argument(
        "--results",
        type=Path,
        metavar="DIR",
        help="a results directory of 'awaitbench run': each finding quotes the cost measured there",
    )
    parser.set_defaults(handler=_handle)


def _first_sentence(text: str) -> str:
    head, dot, _ = text.partition(". ")
    return head + ("." if dot else "")


def _measured(summary: PairSummary) -> str | None:
    """The cost as a phrase: the scenario's own headline (`x10 fewer req/s at 10 users`, `loses 100% of
    writes at 10 users`), else req/s and p99 ratios or the first other signal; None when there is none."""
    from bench.results.summary import format_ratio

    headline = summary.headline
    if headline is not None and headline.outcome == "pitfall worse":
        return f"{headline.text} at {headline.users} users"
    parts = []
    if summary.throughput_ratio is not None and summary.throughput_ratio >= _NOISE_RATIO:
        parts.append(f"{format_ratio(summary.throughput_ratio)} less throughput")
    if summary.p99_ratio is not None and summary.p99_ratio >= _NOISE_RATIO:
        parts.append(f"{format_ratio(summary.p99_ratio)} slower p99")
    if not parts and summary.signals:
        parts.append(summary.signals[0])
    if not parts:
        return None
    return f"{', '.join(parts)} at {summary.users} users"


def why_texts(results: Path | None = None) -> Mapping[str, str]:
    """Pitfall id -> why it matters: the catalogue's theory, or the cost measured in `results`; the
    linter's own texts (empty) where the toolkit is not installed (the catalogue's apps need it).

    Raises:
        ResultsError: `results` is not a readable results directory (a usage error for the CLI).
        ToolkitMissingError: `results` given without the toolkit installed.
    """
    if missing_toolkit():
        if results is not None:
            require_toolkit("lint --results")
        return {}
    from scenarios import catalogue

    texts = {s.id: f"{_first_sentence(s.pitfall)} See `awaitbench run {s.id}`." for s in catalogue()}
    if results is None:
        return texts
    from bench.results import load_run
    from bench.results.summary import summarize

    for summary in summarize(load_run(results)):
        measured = _measured(summary)
        if measured is not None:
            texts[summary.scenario.id] = f"{measured}, see `awaitbench run {summary.scenario.id}`"
    return texts


def _handle(args: argparse.Namespace) -> int:
    from awaitbench.detect.lint.cli import run
    from awaitbench.detect.lint.errors import LintUsageError

    try:
        return run(args, why=why_texts(args.results))
    except LintUsageError as exc:
        raise UsageError(str(exc)) from exc
