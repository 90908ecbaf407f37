"""One self-timed step of open-loop load, judged against the latency the server was configured with.

`awaitbench perf` drives it in its rate search."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from bench.loadgen.cpu_window import sample_cpu_window
from bench.loadgen.open_loop import Generator, Request, percentiles
from bench.loadgen.open_loop_config import OpenLoopConfig
from bench.loadgen.schedule import offsets_until

__all__ = ["LoadResult", "run_step"]

_DRAIN_EXTRA_S = 2.0
_START_DELAY_S = 0.05


@dataclass(frozen=True, kw_only=True)
class LoadResult:
    """What one step measured; `error_ms` and `dispatch_lag_ms` are {"p50", "p90", "p99", "max"}."""

    rate_rps: float
    measure_s: float
    sent: int
    sent_rps: float
    ok: int
    achieved_rps: float
    failed: dict[str, int]
    error_ms: dict[str, float]
    error_samples: int
    dispatch_lag_ms: dict[str, float]
    loadgen_cpu_util: float
    server_cpu_util: float | None
    connections_opened: int
    peak_connections: int


class _StepSink:
    """Counts the window's requests and their latency errors."""

    def __init__(self, config: OpenLoopConfig) -> None:
        self.config = config
        self.sent_count = 0
        self.ok = 0
        self.failures: dict[str, int] = {}
        self.errors_ms: list[float] = []
        self.lags_ms: list[float] = []

    def sent(self, request: Request) -> None:
        if request.measured:
            self.sent_count += 1
            self.lags_ms.append((request.dispatched_s - request.due_s) * 1000.0)

    def answered(self, request: Request, status: int, now: float) -> None:
        if not request.measured:
            return
        expected = self.config.expected
        if expected is None:
            self.ok += 1
            return
        if self.config.count_tokens:
            if len(request.token_times) != expected.output_tokens:
                self.failed(request, "token_count", now)
                return
            for index, arrived in enumerate(request.token_times):
                elapsed_ms = (arrived - request.dispatched_s) * 1000.0
                self.errors_ms.append(elapsed_ms - expected.intended_ms(index))
        else:
            self.errors_ms.append((now - request.dispatched_s) * 1000.0 - expected.ttft_ms)
        self.ok += 1

    def failed(self, request: Request, kind: str, now: float) -> None:
        if request.measured:
            self.failures[kind] = self.failures.get(kind, 0) + 1

    def dropped(self, request: Request) -> None:
        # Due and attempted on time: the generator kept its schedule, the server had no room for it.
        if request.measured:
            self.sent_count += 1
            self.failures["dropped"] = self.failures.get("dropped", 0) + 1


def _drain_s(config: OpenLoopConfig) -> float:
    expected = config.expected
    longest_ms = 0.0 if expected is None else expected.intended_ms(max(expected.output_tokens - 1, 0))
    return longest_ms / 1000.0 + _DRAIN_EXTRA_S


async def run_step(config: OpenLoopConfig) -> LoadResult:
    """Run one step of open-loop load against `config.url` and measure it."""
    sink = _StepSink(config)
    gen = Generator(config, sink)
    t0 = time.perf_counter() + _START_DELAY_S
    window = (t0 + config.warmup_s, t0 + config.warmup_s + config.measure_s)
    sampler = asyncio.ensure_future(sample_cpu_window(*window, config.server_pid))
    run_s = config.warmup_s + config.measure_s
    offsets = offsets_until(config.arrival, config.rate_rps, run_s, seed=config.seed)
    await gen.send_on_schedule(offsets, t0=t0, window=window)
    try:
        await asyncio.wait_for(gen.all_done.wait(), timeout=_drain_s(config))
    except TimeoutError:
        late = sum(1 for request in gen.in_flight if request.measured)
        if late:
            sink.failures["timeout"] = sink.failures.get("timeout", 0) + late
    cpu = await sampler
    gen.close_all()
    return LoadResult(
        rate_rps=config.rate_rps,
        measure_s=config.measure_s,
        sent=sink.sent_count,
        sent_rps=round(sink.sent_count / config.measure_s, 2),
        ok=sink.ok,
        achieved_rps=round(sink.ok / config.measure_s, 2),
        failed=dict(sink.failures),
        error_ms=percentiles(sink.errors_ms),
        error_samples=len(sink.errors_ms),
        dispatch_lag_ms=percentiles(sink.lags_ms),
        loadgen_cpu_util=round(cpu.loadgen, 3),
        server_cpu_util=None if cpu.server is None else round(cpu.server, 3),
        connections_opened=gen.connections_opened,
        peak_connections=gen.peak_connections,
    )
