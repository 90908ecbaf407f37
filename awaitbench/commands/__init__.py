"""One module per `awaitbench` sub-command; each exposes `register(subparsers)`."""

from __future__ import annotations

import argparse
import importlib
from dataclasses import dataclass
from typing import Any

from awaitbench.commands.toolkit import TOOLKIT_EXTRA, missing_toolkit, require_toolkit

__all__ = ["COMMAND_MODULES", "CommandModule", "register_all"]


@dataclass(frozen=True, kw_only=True)
class CommandModule:
    """`module` under awaitbench.commands, the sub-commands it registers, and whether they need the
    toolkit (the `bench` extra)."""

    module: str
    names: tuple[str, ...]
    toolkit: bool = True


COMMAND_MODULES = (
    CommandModule(module="fake_llm", names=("fake-llm",)),
    CommandModule(module="catalogue", names=("list", "serve")),
    CommandModule(module="run", names=("run",)),
    CommandModule(module="report", names=("report",)),
    CommandModule(module="compare", names=("compare",)),
    CommandModule(module="perf", names=("perf",)),
    CommandModule(module="lint", names=("lint",), toolkit=False),
    CommandModule(module="diagnose", names=("diagnose",)),
    CommandModule(module="demo", names=("demo",)),
)


def register_all(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Every command's sub-parser, in the order above."""
    for command in COMMAND_MODULES:
        if command.toolkit and missing_toolkit():
            for name in command.names:
                _register_stand_in(subparsers, name)
        else:
            importlib.import_module(f"awaitbench.commands.{command.module}").register(subparsers)


def _register_stand_in(subparsers: argparse._SubParsersAction[Any], name: str) -> None:
    # A prefix character no argument starts with: every argument is accepted, so the one-line message
    # about the extra is what the user sees, whatever flags they typed.
    parser = subparsers.add_parser(
        name, help=f"(needs awaitbench[{TOOLKIT_EXTRA}])", add_help=False, prefix_chars="\0"
    )
    parser.add_argument("arguments", nargs="*")
    parser.set_defaults(handler=lambda args: require_toolkit(name))
