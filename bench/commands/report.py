"""`awaitbench report`: Render charts and an HTML/Markdown report from a results directory."""

from __future__ import annotations

import argparse

from bench.errors import AwaitbenchError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report", help="Render charts and an HTML/Markdown report from a results dir"
    )
    parser.set_defaults(handler=_handle)


def _handle(args: argparse.Namespace) -> int:
    raise AwaitbenchError("'report' is not implemented yet")
