"""Runs the measured steps: for each mode and server, a rate search whose every step is a fresh pair of
processes (server pinned to one core, generator to another), judged against the error budget.

Why fresh processes per step: a server that fell behind at the previous rate may still be draining, and
its heap and connection state would leak into the next measurement; a new process costs about a second.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.run.rate_search import RateSearch, SearchResult, StepOutcome, StepVerdict
from bench.selfperf.config import Mode, PerfConfig, ServerKind
from bench.selfperf.step import run_step

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
        step = run_step(kind, mode, config=config, work_dir=work_dir, rate_rps=rate_rps)
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
