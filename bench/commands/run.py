"""`awaitbench run`: Run the load benchmark over the scenario catalogue."""

from __future__ import annotations

import argparse

from bench.errors import AwaitbenchError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("run", help="Run the load benchmark over the scenario catalogue")
    parser.set_defaults(handler=_handle)


def _handle(args: argparse.Namespace) -> int:
    raise AwaitbenchError("'run' is not implemented yet")
