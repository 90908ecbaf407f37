"""`awaitbench fake-llm`: the fake LLM's own command line (`fake_llm.cli`), mounted as a sub-command.

The flags and what they do live in `fake_llm/` (so `python -m fake_llm` works without awaitbench); this
module only mounts them and hands fake_llm's errors to the one CLI: ConfigError is one of
`awaitbench.cli`'s usage errors (exit 2), and ServeError (a taken port, a foreign host, an unwritable
TLS directory) becomes a UsageError (exit 2), as environment errors are in every command.
"""

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
