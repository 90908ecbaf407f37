"""`awaitbench perf fake-llm`: fake_llm against a raw-ASGI ceiling: saturation rounds, Little bound, max rate.

See `bench.selfperf` for the method; `make perf` runs this with the defaults. Every flag comes from
`bench.selfperf.config.PerfConfig` (also an env var `AWAITBENCH_PERF_<NAME>`).
"""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING, Any

from bench.selfperf.config import OPTIONS, PerfConfig

if TYPE_CHECKING:
    from rich.console import Console

    from bench.run.rate_search import StepOutcome

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "perf",
        help="Benchmark awaitbench's own parts (perf fake-llm)",
        description="Benchmark awaitbench's own parts.",
    )
    targets = parser.add_subparsers(dest="target", metavar="TARGET", parser_class=type(parser))
    targets.required = True
    fake = targets.add_parser(
        "fake-llm",
        help="fake_llm vs a raw-ASGI ceiling: CPU per request at saturation, Little bound, max rate",
        description="Measure fake_llm and a raw-ASGI server that only sleeps, both pinned to one core, "
        "with the generator on another core: their CPU per request in paired rounds at saturation (the "
        "headline, inconclusive when a round was disturbed), the Little bound, and the max sustained rate. "
        f"Every flag is also an env var ({OPTIONS.env_prefix}<NAME>); flags win.",
    )
    OPTIONS.add_arguments(fake)
    fake.set_defaults(handler=_handle)


def _step_printer(progress: Console) -> Any:
    def on_step(kind: str, mode: str, outcome: StepOutcome, figures: dict[str, Any]) -> None:
        colour = {"sustained": "green", "failed": "yellow", "invalid": "red"}[outcome.verdict.value]
        reasons = f" ({'; '.join(outcome.reasons)})" if outcome.reasons else ""
        progress.print(
            f"  {mode:<13} {kind:<8} {outcome.rate_rps:>7,.0f} rps: [{colour}]{outcome.verdict.value}[/]"
            f"{reasons} — p99 error {figures['error_ms']['p99']:.1f} ms, server CPU "
            f"{(figures['server_cpu_util'] or 0):.0%}, generator CPU {figures['loadgen_cpu_util']:.0%}"
        )

    return on_step


def _point_printer(progress: Console) -> Any:
    def on_point(kind: str, mode: str, point: object, figures: dict[str, Any]) -> None:
        notes = figures.get("notes") or []
        shown = f" [red]({'; '.join(notes)})[/]" if notes else ""
        cost = figures["server_cpu_us_per_request"]
        where = f"round {point}" if isinstance(point, int) else str(point)
        progress.print(
            f"  {mode:<13} {kind:<8} {where} c={figures['connections']}: "
            f"{figures['achieved_rps']:>7,.0f} rps, "
            f"p99 {figures['latency_ms']['p99']:.1f} ms, server CPU {(figures['server_cpu_util'] or 0):.0%}"
            f"{'' if cost is None else f' ({cost:.0f} µs/req)'}, generator CPU "
            f"{figures['loadgen_cpu_util']:.0%}, load {figures['load_average_1m']:.1f}{shown}"
        )

    return on_point


def _handle(args: argparse.Namespace) -> int:
    import datetime as dt
    import sys
    import tempfile
    import time
    from pathlib import Path

    from rich.console import Console

    from bench.processes import resolve_sched, stop_all
    from bench.selfperf.point_report import render_points
    from bench.selfperf.points import run_points
    from bench.selfperf.report import render_table
    from bench.selfperf.round_report import render_rounds
    from bench.selfperf.rounds import run_rounds
    from bench.selfperf.sweep import run_sweep

    config = OPTIONS.load(args, os.environ)
    # Piped output (make, CI logs, the README) gets room for the notes column instead of 80 columns.
    progress = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 160)
    out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    progress.print(
        f"perf fake-llm: ttft {config.ttft_ms:g} ms, itl {config.itl_ms:g} ms (streaming), "
        f"{config.output_tokens} tokens, budget {config.error_budget_ms:g} ms; servers on CPU "
        f"{config.server_cpu}, generator on CPU {config.loadgen_cpu}; "
        f"scheduling {resolve_sched(config.sched)}"
    )
    started_at = dt.datetime.now(dt.UTC)
    started = time.monotonic()
    # Step logs and raw figures are kept only when asked for (--logs); otherwise they go with the run.
    with tempfile.TemporaryDirectory(prefix="awaitbench-perf-") as scratch:
        work_dir = config.logs or Path(scratch)
        try:
            rounds = run_rounds(config, work_dir=work_dir, on_step=_point_printer(progress))
            points = run_points(config, work_dir=work_dir, on_point=_point_printer(progress))
            records = run_sweep(config, on_step=_step_printer(progress), work_dir=work_dir)
        finally:
            stop_all()
    render_table(out, config=config, records=records)
    render_points(out, records=points, config=config)
    render_rounds(out, records=rounds, config=config)
    if config.json_out is not None:
        duration_s = time.monotonic() - started
        _write_json(config, records, points, rounds, started_at=started_at, duration_s=duration_s)
        progress.print(f"results written to {config.json_out}")
    return 0


def _write_json(
    config: PerfConfig, records: Any, points: Any, rounds: Any, *, started_at: Any, duration_s: float
) -> None:
    from bench.measure.machine import git_commit, machine_info, package_versions
    from bench.processes import resolve_sched
    from bench.results import write_json_atomic
    from bench.selfperf.report import perf_document

    assert config.json_out is not None
    document = perf_document(
        config=config,
        records=records,
        started_at=started_at,
        duration_s=duration_s,
        machine=machine_info(),
        packages=package_versions(),
        git_commit=git_commit(),
        points=points,
        rounds=rounds,
    )
    document["sched"] = resolve_sched(config.sched)
    write_json_atomic(config.json_out, document)
