"""`awaitbench fake-llm`: the fake LLM's own command line (`fake_llm.cli`), mounted as a sub-command."""

from __future__ import annotations

import argparse

from bench.errors import UsageError
from fake_llm import cli
from fake_llm.errors import ServeError

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("fake-llm", help=cli.HELP, description=cli.DESCRIPTION)
    cli.add_arguments(parser)
    parser.set_defaults(handler=_handle)


def _handle(args: argparse.Namespace) -> int:
    try:
        return cli.run(args)
    except ServeError as exc:
        raise UsageError(str(exc)) from exc
