"""`awaitbench run`: measure the scenario catalogue under load (see docs/bench.md)."""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.run.config import (
    DEFAULT_DURATION_S,
    DEFAULT_USERS,
    DEFAULT_WARMUP_S,
    QUICK_DURATION_S,
    QUICK_USERS,
    QUICK_WARMUP_S,
    RunConfig,
    default_reference_users,
    parse_users,
)

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="Run the load benchmark over the scenario catalogue",
        description="Measure each (scenario, variant, loop, users) point with fresh processes and Locust.",
    )
    parser.add_argument(
        "selection", nargs="*", metavar="SCENARIO[:VARIANT]", help="what to measure (default: everything)"
    )
    parser.add_argument(
        "--users",
        help="comma-separated user counts, one load point each "
        f"(default {','.join(map(str, DEFAULT_USERS))}; --quick: {','.join(map(str, QUICK_USERS))})",
    )
    parser.add_argument(
        "--duration",
        type=float,
        help=f"measured window per point, s (default {DEFAULT_DURATION_S:g}; --quick: {QUICK_DURATION_S:g})",
    )
    parser.add_argument(
        "--warmup",
        type=float,
        help=f"excluded warm-up per point, s (default {DEFAULT_WARMUP_S:g}; --quick: {QUICK_WARMUP_S:g})",
    )
    parser.add_argument("--loop", choices=("uvloop", "asyncio", "both"), default="uvloop")
    parser.add_argument(
        "--preset", help="fake_llm preset for every point (default: each scenario's upstream)"
    )
    parser.add_argument("--processes", type=int, default=1, help="Locust processes (locust --processes)")
    parser.add_argument("--app-workers", type=int, default=1, help="uvicorn workers of each variant app")
    parser.add_argument("--profile", action="store_true", help="py-spy each variant's highest-load point")
    parser.add_argument("--out", type=Path, help="results directory (default results/run-<timestamp>)")
    parser.add_argument("--quick", action="store_true", help="core six, pitfall and fix, one load point")
    parser.add_argument("--summary-json", type=Path, help="also write the pitfall/fix summary as JSON")
    parser.add_argument(
        "--reference-users", type=int, help="load of the summary (default 100 or the highest)"
    )
    parser.add_argument("--no-probe", action="store_true", help="run apps without the loop-lag probe")
    parser.set_defaults(handler=_handle)


def _config(args: argparse.Namespace) -> RunConfig:
    from datetime import datetime

    users = parse_users(args.users) if args.users else (QUICK_USERS if args.quick else DEFAULT_USERS)
    out = args.out or Path("results") / f"run-{datetime.now():%Y%m%d-%H%M%S}"
    duration = (
        args.duration
        if args.duration is not None
        else (QUICK_DURATION_S if args.quick else DEFAULT_DURATION_S)
    )
    warmup = args.warmup if args.warmup is not None else (QUICK_WARMUP_S if args.quick else DEFAULT_WARMUP_S)
    return RunConfig(
        selection=tuple(args.selection),
        users=users,
        duration_s=duration,
        warmup_s=warmup,
        loop=args.loop,
        preset=args.preset,
        processes=args.processes,
        app_workers=args.app_workers,
        profile=args.profile,
        out_dir=out,
        quick=args.quick,
        reference_users=args.reference_users or default_reference_users(users),
        probe=not args.no_probe,
    )


def _handle(args: argparse.Namespace) -> int:
    import sys

    from rich.console import Console

    from bench.run.orchestrator import execute, prepare

    prepared = prepare(_config(args), summary_json=args.summary_json)
    # A pipe or CI log gets a wide table rather than rich's 80-column default with truncated ids.
    console = Console() if sys.stdout.isatty() else Console(width=160)
    outcome = execute(prepared, console=console, err_console=Console(file=sys.stderr))
    if outcome.points and all(p.status == "failed" for p in outcome.points):
        from bench.errors import AwaitbenchError

        raise AwaitbenchError(f"every point failed; see the logs in {prepared.config.out_dir / 'logs'}")
    return 0
