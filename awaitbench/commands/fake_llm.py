"""`awaitbench fake-llm`: the fake LLM's own command line (`fake_llm.cli`), mounted as a sub-command.

The flags and what they do live in `fake_llm/` (so `python -m fake_llm` works without awaitbench); this
module only mounts them and hands fake_llm's errors to the one CLI: ConfigError is one of
`awaitbench.cli`'s usage errors (exit 2), ServeError becomes an AwaitbenchError (exit 1).
"""

from __future__ import annotations

import argparse

from bench.errors import AwaitbenchError
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
        raise AwaitbenchError(str(exc)) from exc
