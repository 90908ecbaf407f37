"""`awaitbench run`: measure the scenario catalogue under load (see docs/bench.md).

Every flag comes from `bench.run.config.RunConfig` (`bench.run.config.OPTIONS`): the config is the single
source of the flags, their env vars (`AWAITBENCH_RUN_<NAME>`) and the docs table.
"""

from __future__ import annotations

import argparse
import os

from bench.run.config import OPTIONS

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "run",
        help="Run the load benchmark over the scenario catalogue",
        description="Measure each (scenario, variant, loop, load) point with fresh processes: closed-loop "
        "users with Locust (--users), or an open loop at offered rates (--rate), or each variant's capacity "
        "at a p99 SLO (--find-capacity). "
        f"Every flag is also an env var ({OPTIONS.env_prefix}<NAME>); flags win.",
    )
    OPTIONS.add_arguments(parser)
    parser.set_defaults(handler=_handle)


def _handle(args: argparse.Namespace) -> int:
    import sys

    from rich.console import Console

    from bench.errors import AwaitbenchError
    from bench.run.orchestrator import execute, prepare

    config = OPTIONS.load(args, os.environ)
    prepared = prepare(config)
    # A pipe or CI log gets a wide table rather than rich's 80-column default with truncated ids.
    console = Console() if sys.stdout.isatty() else Console(width=160)
    outcome = execute(prepared, console=console, err_console=Console(file=sys.stderr))
    if outcome.points and all(p.status == "failed" for p in outcome.points):
        raise AwaitbenchError(f"every point failed; see the logs in {prepared.config.out_dir / 'logs'}")
    return 0
