"""`awaitbench compare`: Compare two results directories (before/after)."""

from __future__ import annotations

import argparse

from bench.errors import AwaitbenchError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("compare", help="Compare two results directories (before/after)")
    parser.set_defaults(handler=_handle)


def _handle(args: argparse.Namespace) -> int:
    raise AwaitbenchError("'compare' is not implemented yet")
