"""The generator's closed-loop step: N keep-alive connections, each sending its next request as its last ends.

`awaitbench perf` asks it at the Little bound and at saturation (`bench.selfperf.points`)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from bench.loadgen.cpu_window import sample_cpu_window
from bench.loadgen.open_loop import Generator, Request, percentiles
from bench.loadgen.open_loop_config import OpenLoopConfig

__all__ = ["ClosedLoopResult", "run_connections_step"]


@dataclass(frozen=True, kw_only=True)
class ClosedLoopResult:
    """One closed-loop step: throughput, latency (whole response; first token when streaming), CPU.

    `latency_ms` and `first_token_ms` are {"p50", "p90", "p99", "max"} over the requests sent in the window;
    `little_bound_rps` is connections / configured latency, the most a perfect server could serve;
    `core_busy` is each core's busy share over the window (`bench.loadgen.cpu_window.CpuWindow`).
    """

    connections: int
    measure_s: float
    completed: int
    achieved_rps: float
    little_bound_rps: float
    latency_ms: dict[str, float]
    first_token_ms: dict[str, float]
    failed: dict[str, int]
    loadgen_cpu_util: float
    server_cpu_util: float | None
    core_busy: tuple[float, ...]


class _ClosedLoop:
    """The sink of a closed-loop step: counts the window, and sends each connection's next request."""

    def __init__(self, config: OpenLoopConfig, window: tuple[float, float]) -> None:
        self.window_start, self.window_end = window
        self.running = True
        self.completed = 0
        self.latencies_ms: list[float] = []
        self.first_ms: list[float] = []
        self.failures: dict[str, int] = {}
        self.gen = Generator(config, self)

    def send_next(self, now: float) -> None:
        if self.running:
            measured = self.window_start <= now < self.window_end
            self.gen.dispatch(Request(due_s=now, measured=measured), now)

    def sent(self, request: Request) -> None:
        return None

    def answered(self, request: Request, status: int, now: float) -> None:
        if self.window_start <= now < self.window_end:
            self.completed += 1
        if request.measured:
            first = request.token_times[0] if request.token_times else now
            self.latencies_ms.append((now - request.dispatched_s) * 1000.0)
            self.first_ms.append((first - request.dispatched_s) * 1000.0)
        self.send_next(now)

    def failed(self, request: Request, kind: str, now: float) -> None:
        if not self.running:
            return  # the connections closed at the end of the run
        self.failures[kind] = self.failures.get(kind, 0) + 1
        if kind != "connect":
            self.send_next(now)  # an HTTP error keeps the connection; a lost one is opened again

    def dropped(self, request: Request) -> None:
        # Never with `max_outstanding` >= `connections` (the config insists); counted if it ever happens.
        self.failures["dropped"] = self.failures.get("dropped", 0) + 1


def _little_bound_rps(config: OpenLoopConfig) -> float:
    expected = config.expected
    intended_s = 0.0 if expected is None else expected.intended_ms(max(expected.output_tokens - 1, 0)) / 1e3
    return round(config.connections / intended_s, 1) if intended_s > 0 else 0.0


async def run_connections_step(config: OpenLoopConfig) -> ClosedLoopResult:
    """Hold `config.connections` requests in flight against `config.url` and measure the window."""
    t0 = time.perf_counter()
    window = (t0 + config.warmup_s, t0 + config.warmup_s + config.measure_s)
    state = _ClosedLoop(config, window)
    sampler = asyncio.ensure_future(sample_cpu_window(*window, config.server_pid))
    for _ in range(config.connections):
        state.send_next(time.perf_counter())
    cpu = await sampler
    state.running = False
    state.gen.close_all()
    return ClosedLoopResult(
        connections=config.connections,
        measure_s=config.measure_s,
        completed=state.completed,
        achieved_rps=round(state.completed / config.measure_s, 2),
        little_bound_rps=_little_bound_rps(config),
        latency_ms=percentiles(state.latencies_ms),
        first_token_ms=percentiles(state.first_ms),
        failed=dict(state.failures),
        loadgen_cpu_util=round(cpu.loadgen, 3),
        server_cpu_util=None if cpu.server is None else round(cpu.server, 3),
        core_busy=cpu.core_busy,
    )
