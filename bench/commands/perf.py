"""`awaitbench perf`: Benchmark awaitbench's own parts (perf fake-llm)."""

from __future__ import annotations

import argparse

from bench.errors import AwaitbenchError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("perf", help="Benchmark awaitbench's own parts (perf fake-llm)")
    parser.set_defaults(handler=_handle)


def _handle(args: argparse.Namespace) -> int:
    raise AwaitbenchError("'perf' is not implemented yet")
