"""Runs the measured steps: for each mode and server, a rate search whose every step is a fresh pair of
processes (server pinned to one core, generator to another), judged against the error budget.

Why fresh processes per step: a server that fell behind at the previous rate may still be draining, and
its heap and connection state would leak into the next measurement; a new process costs about a second.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.errors import ProcessFailed
from bench.loadgen.open_loop_config import OpenLoopConfig
from bench.processes import ManagedProcess, ProcessSpec, free_port, running
from bench.run.rate_search import RateSearch, SearchResult, StepOutcome, StepVerdict
from bench.selfperf.config import Mode, PerfConfig, Sched, ServerKind
from bench.selfperf.servers import CHAT_PATH, resolve_sched, scheduled, server_spec

__all__ = ["LOADGEN_CPU_LIMIT", "SearchRecord", "StepCallback", "judge_step", "run_sweep"]

LOADGEN_CPU_LIMIT = 0.9
"""Above this share of its core the generator's own delays would be measured as server latency."""

_MAX_FAILED_SHARE = 0.001
_NEAR_MISS_FACTOR = 4.0
_RANK = {StepVerdict.INVALID: 0, StepVerdict.FAILED: 1, StepVerdict.SUSTAINED: 2}

StepCallback = Callable[[ServerKind, Mode, StepOutcome, dict[str, Any]], None]


@dataclass(frozen=True, kw_only=True)
class SearchRecord:
    """One (server, mode) search with the generator's full figures for every step."""

    server: ServerKind
    mode: Mode
    result: SearchResult
    step_figures: tuple[dict[str, Any], ...]
    duration_s: float


def judge_step(figures: dict[str, Any], *, config: PerfConfig) -> StepOutcome:
    """Sustained, failed, or invalid (the generator was the bottleneck) — with the reasons.

    Invalid is checked first: if the generator could not send on time, the server was never offered the
    rate, and a slow answer may be the generator's own delay.
    """
    rate = float(figures["rate_rps"])
    budget = config.error_budget_ms
    invalid: list[str] = []
    if figures["loadgen_cpu_util"] > LOADGEN_CPU_LIMIT:
        invalid.append(f"generator CPU {figures['loadgen_cpu_util']:.0%}")
    if figures["sent_rps"] < config.min_success_ratio * rate:
        invalid.append(f"generator sent only {figures['sent_rps']:g} rps")
    if figures["dispatch_lag_ms"]["p99"] > budget:
        invalid.append(f"generator dispatch lag p99 {figures['dispatch_lag_ms']['p99']:.1f} ms")
    if invalid:
        return StepOutcome(rate_rps=rate, verdict=StepVerdict.INVALID, reasons=tuple(invalid))
    failed: list[str] = []
    error = figures["error_ms"]
    if figures["achieved_rps"] < config.min_success_ratio * rate:
        failed.append(f"completed {figures['achieved_rps']:g} rps")
    if error["p99"] > budget:
        failed.append(f"p99 error {error['p99']:.1f} ms")
    if error["p50"] < -budget:
        failed.append(f"answered {-error['p50']:.1f} ms early (latency not honoured)")
    failures = sum(figures["failed"].values())
    if failures > _MAX_FAILED_SHARE * max(figures["sent"], 1):
        kinds = ", ".join(f"{kind} x{count}" for kind, count in sorted(figures["failed"].items()))
        failed.append(f"errors: {kinds}")
    verdict = StepVerdict.FAILED if failed else StepVerdict.SUSTAINED
    return StepOutcome(rate_rps=rate, verdict=verdict, reasons=tuple(failed))


def _worth_retrying(figures: dict[str, Any], *, config: PerfConfig) -> bool:
    """Retry an invalid step, or a near miss; a server clearly past its limit would only fail again."""
    if figures["verdict"] == StepVerdict.INVALID.value:
        return True
    near_budget = bool(figures["error_ms"]["p99"] <= _NEAR_MISS_FACTOR * config.error_budget_ms)
    return near_budget and bool(figures["achieved_rps"] >= 0.9 * figures["rate_rps"])


def _loadgen_spec(
    load: OpenLoopConfig, *, out_path: Path, cpu: int, sched: Sched, log_path: Path
) -> ProcessSpec:
    return ProcessSpec(
        name="perf-loadgen",
        argv=scheduled(
            [sys.executable, "-m", "bench.loadgen.open_loop_main", load.to_json(), str(out_path)], sched
        ),
        log_path=log_path,
        cpu_affinity=[cpu],
    )


def _run_step(
    kind: ServerKind, mode: Mode, rate_rps: float, *, config: PerfConfig, work_dir: Path
) -> dict[str, Any]:
    port = free_port()
    stem = f"{kind}-{mode}-{rate_rps:g}-{time.monotonic_ns()}"
    spec = server_spec(kind, config=config, mode=mode, port=port, log_path=work_dir / f"{stem}-server.log")
    with running(spec) as server:
        load = config.load_config(
            url=f"http://127.0.0.1:{port}{CHAT_PATH}", mode=mode, rate_rps=rate_rps, server_pid=server.pid
        )
        out_path = work_dir / f"{stem}-loadgen.json"
        gen = ManagedProcess(
            _loadgen_spec(
                load,
                out_path=out_path,
                cpu=config.loadgen_cpu,
                sched=resolve_sched(config.sched),
                log_path=work_dir / f"{stem}-gen.log",
            )
        )
        longest_ms = load.expected.intended_ms(load.expected.output_tokens) if load.expected else 0.0
        deadline_s = load.warmup_s + load.measure_s + longest_ms / 1000 + 20.0
        with gen:
            try:
                code = gen.wait(timeout_s=deadline_s)
            except subprocess.TimeoutExpired as exc:  # the context manager stops it
                raise ProcessFailed(f"the load generator did not finish within {deadline_s:g}s") from exc
        if code != 0 or not out_path.exists():
            raise ProcessFailed(
                f"the load generator exited with code {code}: {gen.log_tail(3)}", stderr_tail=gen.log_tail()
            )
        if server.returncode is not None:
            raise ProcessFailed(f"{kind} died during the step (code {server.returncode})")
    figures = dict(json.loads(out_path.read_text()))
    figures["server_port"] = port
    figures["server_cpu_us_per_request"] = _cpu_us_per_request(figures)
    return figures


def _cpu_us_per_request(figures: dict[str, Any]) -> float | None:
    """Server CPU time per answered request: steadier than a maximum rate, and it explains the ratio."""
    util, achieved = figures.get("server_cpu_util"), figures.get("achieved_rps") or 0.0
    if util is None or achieved <= 0:
        return None
    return round(float(util) / achieved * 1e6, 1)


def run_sweep(
    config: PerfConfig, *, on_step: StepCallback | None = None, work_dir: Path | None = None
) -> list[SearchRecord]:
    """Search the maximum sustained rate of every configured (mode, server) pair.

    Within a mode the servers' searches take turns step by step, so background load that drifts over the
    run hits both alike instead of whichever happened to be measured second.
    """
    base = work_dir or Path(tempfile.mkdtemp(prefix="awaitbench-perf-"))
    base.mkdir(parents=True, exist_ok=True)
    records: list[SearchRecord] = []
    for mode in config.modes:
        records.extend(_interleaved(mode, config=config, work_dir=base, on_step=on_step))
    return records


def _interleaved(
    mode: Mode, *, config: PerfConfig, work_dir: Path, on_step: StepCallback | None
) -> list[SearchRecord]:
    searches = {
        kind: RateSearch(
            start_rps=config.start_rps,
            max_rps=config.max_rps,
            max_steps=config.timing.max_steps,
            resolution=config.timing.resolution,
        )
        for kind in config.servers
    }
    figures: dict[ServerKind, list[dict[str, Any]]] = {kind: [] for kind in config.servers}
    seconds: dict[ServerKind, float] = dict.fromkeys(config.servers, 0.0)
    active = True
    while active:
        active = False
        for kind, search in searches.items():
            rate = search.next_rate()
            if rate is None:
                continue
            active = True
            started = time.monotonic()
            search.record(
                _measure(
                    kind, mode, rate, config=config, work_dir=work_dir, sink=figures[kind], on_step=on_step
                )
            )
            seconds[kind] += time.monotonic() - started
    return [
        SearchRecord(
            server=kind,
            mode=mode,
            result=search.result(),
            step_figures=tuple(figures[kind]),
            duration_s=round(seconds[kind], 1),
        )
        for kind, search in searches.items()
    ]


def _measure(
    kind: ServerKind,
    mode: Mode,
    rate_rps: float,
    *,
    config: PerfConfig,
    work_dir: Path,
    sink: list[dict[str, Any]],
    on_step: StepCallback | None,
) -> StepOutcome:
    """One rate, measured up to `1 + retries` times; the best attempt is the verdict."""
    best: StepOutcome | None = None
    for attempt in range(1 + config.timing.retries):
        step = _run_step(kind, mode, rate_rps, config=config, work_dir=work_dir)
        outcome = judge_step(step, config=config)
        step.update(verdict=outcome.verdict.value, reasons=list(outcome.reasons), attempt=attempt + 1)
        sink.append(step)
        if on_step is not None:
            on_step(kind, mode, outcome, step)
        if best is None or _RANK[outcome.verdict] > _RANK[best.verdict]:
            best = outcome
        if best.verdict is StepVerdict.SUSTAINED or not _worth_retrying(step, config=config):
            break
    assert best is not None
    return best
