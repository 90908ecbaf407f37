"""`awaitbench list` and `awaitbench serve`: browse the scenario catalogue and run one variant live."""

from __future__ import annotations

import argparse

from bench.errors import AwaitbenchError


def register(subparsers: argparse._SubParsersAction) -> None:
    listing = subparsers.add_parser("list", help="List the scenario catalogue")
    listing.add_argument("--json", action="store_true", help="print the catalogue as JSON")
    listing.set_defaults(handler=_handle_list)
    serve = subparsers.add_parser("serve", help="Serve one scenario variant under uvicorn")
    serve.set_defaults(handler=_handle_serve)


def _handle_list(args: argparse.Namespace) -> int:
    raise AwaitbenchError("'list' is not implemented yet")


def _handle_serve(args: argparse.Namespace) -> int:
    raise AwaitbenchError("'serve' is not implemented yet")
