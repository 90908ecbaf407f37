"""One module per `awaitbench` sub-command; each exposes `register(subparsers)`.

A command module sets `handler` on its sub-parser: a function taking the parsed namespace and
returning an exit code. Heavy imports happen inside handlers, not at module import.
"""

from __future__ import annotations

from awaitbench.commands import catalogue, compare, demo, diagnose, fake_llm, lint, perf, report, run

__all__ = ["COMMAND_MODULES"]

COMMAND_MODULES = (fake_llm, catalogue, run, report, compare, perf, lint, diagnose, demo)
