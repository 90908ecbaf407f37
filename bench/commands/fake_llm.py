"""`awaitbench fake-llm`: Serve the fake OpenAI-compatible LLM."""

from __future__ import annotations

import argparse

from bench.errors import AwaitbenchError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("fake-llm", help="Serve the fake OpenAI-compatible LLM")
    parser.set_defaults(handler=_handle)


def _handle(args: argparse.Namespace) -> int:
    raise AwaitbenchError("'fake-llm' is not implemented yet")
