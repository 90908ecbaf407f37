"""`awaitbench perf fake-llm`: fake_llm against a raw-ASGI ceiling, max sustained requests/s and the ratio.

See `bench.selfperf` for the method; `make perf` runs this with the defaults.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bench.errors import UsageError

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "perf",
        help="Benchmark awaitbench's own parts (perf fake-llm)",
        description="Benchmark awaitbench's own parts.",
    )
    targets = parser.add_subparsers(dest="target", metavar="TARGET", parser_class=type(parser))
    targets.required = True
    fake = targets.add_parser(
        "fake-llm",
        help="fake_llm vs a raw-ASGI ceiling: max sustained req/s within the latency-error budget",
        description="Measure fake_llm and a raw-ASGI server that only sleeps, both pinned to one core, "
        "with an open-loop generator on another core; print max sustained requests/s and the ratio.",
    )
    fake.add_argument("--quick", action="store_true", help="a ~30 s smoke run: short steps, 3 per search")
    fake.add_argument("--json", type=Path, metavar="FILE", help="also write the results (with machine info)")
    fake.add_argument("--ttft-ms", type=float, default=50.0, help="configured latency (default 50)")
    fake.add_argument(
        "--itl-ms", type=float, default=20.0, help="inter-token latency when streaming (default 20)"
    )
    fake.add_argument("--output-tokens", type=int, default=16, help="tokens per response (default 16)")
    fake.add_argument(
        "--error-budget-ms", type=float, default=5.0, help="allowed p99 latency error (default 5)"
    )
    fake.add_argument("--start-rps", type=float, help="first rate of each search (default 400)")
    fake.add_argument("--max-rps", type=float, default=20000.0, help="never try above this (default 20000)")
    fake.add_argument("--warmup-s", type=float, help="excluded warm-up per step (default 1; --quick 0.5)")
    fake.add_argument("--measure-s", type=float, help="measured window per step (default 3; --quick 1)")
    fake.add_argument("--max-steps", type=int, help="rates tried per search (default 10; --quick 3)")
    fake.add_argument("--retries", type=int, help="re-measure a near miss this often (default 1; --quick 0)")
    fake.add_argument("--modes", default="non-streaming,streaming", help="comma-separated (default both)")
    fake.add_argument("--servers", default="ceiling,fake_llm", help="comma-separated (default both)")
    fake.add_argument("--server-cpu", type=int, default=0, help="core the servers are pinned to (default 0)")
    fake.add_argument(
        "--loadgen-cpu", type=int, default=1, help="core the generator is pinned to (default 1)"
    )
    fake.add_argument(
        "--sched",
        choices=("auto", "fifo", "nice", "normal"),
        default="auto",
        help="scheduling of servers and generator: fifo = real-time (root), nice = niceness -10 "
        "(default auto: fifo if allowed, else nice)",
    )
    fake.add_argument("--logs", type=Path, help="keep every step's logs and raw figures in this directory")
    fake.set_defaults(handler=_handle)


def _choices(text: str, allowed: tuple[str, ...], flag: str) -> tuple[Any, ...]:
    items = tuple(item.strip() for item in text.split(",") if item.strip())
    unknown = [item for item in items if item not in allowed]
    if not items or unknown:
        raise UsageError(f"{flag} takes a comma-separated list of {', '.join(allowed)}; got {text!r}")
    return tuple(dict.fromkeys(items))


def _config(args: argparse.Namespace) -> Any:
    from bench.selfperf.config import MODES, SERVERS, PerfConfig, StepTiming, quick_timing, standard_timing

    base = quick_timing() if args.quick else standard_timing()
    timing = StepTiming(
        warmup_s=base.warmup_s if args.warmup_s is None else args.warmup_s,
        measure_s=base.measure_s if args.measure_s is None else args.measure_s,
        max_steps=base.max_steps if args.max_steps is None else args.max_steps,
        resolution=base.resolution,
        retries=base.retries if args.retries is None else args.retries,
    )
    start = args.start_rps if args.start_rps is not None else 400.0
    return PerfConfig(
        ttft_ms=args.ttft_ms,
        itl_ms=args.itl_ms,
        output_tokens=args.output_tokens,
        error_budget_ms=args.error_budget_ms,
        start_rps=start,
        max_rps=args.max_rps,
        modes=_choices(args.modes, MODES, "--modes"),
        servers=_choices(args.servers, SERVERS, "--servers"),
        timing=timing,
        server_cpu=args.server_cpu,
        loadgen_cpu=args.loadgen_cpu,
        sched=args.sched,
    )


def _handle(args: argparse.Namespace) -> int:
    import datetime as dt
    import sys
    import tempfile
    import time

    from rich.console import Console

    from bench.measure.machine import git_commit, machine_info, package_versions
    from bench.processes import stop_all
    from bench.results import write_json_atomic
    from bench.selfperf.report import perf_document, render_table
    from bench.selfperf.search import StepOutcome
    from bench.selfperf.servers import resolve_sched
    from bench.selfperf.sweep import run_sweep

    config = _config(args)
    if args.json is not None and args.json.is_dir():
        raise UsageError(f"--json {args.json} is a directory; give a file name")
    # Piped output (make, CI logs, the README) gets room for the notes column instead of 80 columns.
    progress = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 160)
    out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)

    def on_step(kind: str, mode: str, outcome: StepOutcome, figures: dict[str, Any]) -> None:
        colour = {"sustained": "green", "failed": "yellow", "invalid": "red"}[outcome.verdict.value]
        reasons = f" ({'; '.join(outcome.reasons)})" if outcome.reasons else ""
        progress.print(
            f"  {mode:<13} {kind:<8} {outcome.rate_rps:>7,.0f} rps: [{colour}]{outcome.verdict.value}[/]"
            f"{reasons} — p99 error {figures['error_ms']['p99']:.1f} ms, server CPU "
            f"{(figures['server_cpu_util'] or 0):.0%}, generator CPU {figures['loadgen_cpu_util']:.0%}"
        )

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
        try:
            records = run_sweep(config, on_step=on_step, work_dir=args.logs or Path(scratch))
        finally:
            stop_all()
    render_table(out, config=config, records=records)
    if args.json is not None:
        document = perf_document(
            config=config,
            records=records,
            started_at=started_at,
            duration_s=time.monotonic() - started,
            machine=machine_info(),
            packages=package_versions(),
            git_commit=git_commit(),
        )
        document["sched"] = resolve_sched(config.sched)
        write_json_atomic(args.json, document)
        progress.print(f"results written to {args.json}")
    return 0
