"""The closed-loop generator: N keep-alive connections, each sending its next request when the last one ends.

Why a second generator beside the open-loop one: the open-loop search answers "the highest rate served on
time", but the question teams ask of a fake upstream is also the plain one wrk answers: with N clients
waiting on it, how many requests per second does it serve and how late? Two points say it all:

- at the **Little bound** (N = 400 with 50 ms configured: at most 400 / 0.05 s = 8,000 req/s), a server
  with CPU to spare serves at the bound and its p99 shows how much it adds to the configured latency;
- at **saturation** (N = 1,500: a bound far above what one core can serve), both servers are CPU-bound and
  the ratio of their throughputs is the ratio of their costs per request.

Same machinery as `loadgen` (an asyncio Protocol on uvloop, the hand-written `wire` parser, GC off, CPU of
both processes sampled over the window), so a step where the generator is the bottleneck (its CPU > 90 %)
is flagged invalid by the sweep. Connections open during the warm-up; requests sent in the window count for
latency, responses completed in it for throughput.

Run as `python -m bench.selfperf.closed_loop '<LoadConfig JSON>' OUT_PATH` (`LoadConfig.connections` > 0).
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from bench.selfperf.config import LoadConfig
from bench.selfperf.loadgen import percentiles, request_bytes, sample_cpu_window
from bench.selfperf.wire import ResponseParser, WireError

__all__ = ["ClosedLoopResult", "main", "run_closed_loop"]


@dataclass(frozen=True, kw_only=True)
class ClosedLoopResult:
    """One closed-loop step: throughput, latency (whole response; first token when streaming), CPU.

    `latency_ms` and `first_token_ms` are {"p50", "p90", "p99", "max"} over the requests sent in the window;
    `little_bound_rps` is connections / configured latency, the most a perfect server could serve.
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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Client(asyncio.Protocol):
    """One connection looping request after request."""

    def __init__(self, loop_state: _ClosedLoop) -> None:
        self.state = loop_state
        self.transport: asyncio.Transport | None = None
        self.parser = ResponseParser(count_tokens=loop_state.streaming)
        self.sent_s = 0.0
        self.first_s = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are duck-typed
        self._send()

    def _send(self) -> None:
        assert self.transport is not None
        self.parser = ResponseParser(count_tokens=self.state.streaming)
        self.sent_s = time.perf_counter()
        self.first_s = 0.0
        self.transport.write(self.state.request)

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        try:
            tokens = self.parser.feed(data)
        except (WireError, ValueError):
            self.state.fail("bad_response")
            if self.transport is not None:
                self.transport.close()
            return
        if tokens and not self.first_s:
            self.first_s = now
        if self.parser.complete:
            self.state.done(self, now)
            if self.state.running and self.parser.keep_alive:
                self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if self.state.running:
            self.state.fail("connection_lost")


class _ClosedLoop:
    def __init__(self, config: LoadConfig, window: tuple[float, float]) -> None:
        self.config = config
        self.streaming = config.mode == "streaming"
        self.request = request_bytes(config)
        self.window_start, self.window_end = window
        self.running = True
        self.completed = 0
        self.latencies_ms: list[float] = []
        self.first_ms: list[float] = []
        self.failures: dict[str, int] = {}

    def done(self, client: _Client, now: float) -> None:
        if client.parser.status != 200:
            self.fail(f"http_{client.parser.status}")
            return
        if self.window_start <= now < self.window_end:
            self.completed += 1
        if self.window_start <= client.sent_s < self.window_end:
            self.latencies_ms.append((now - client.sent_s) * 1000.0)
            first = client.first_s or now
            self.first_ms.append((first - client.sent_s) * 1000.0)

    def fail(self, kind: str) -> None:
        self.failures[kind] = self.failures.get(kind, 0) + 1


async def run_closed_loop(config: LoadConfig) -> ClosedLoopResult:
    """Hold `config.connections` requests in flight against `config.url` and measure the window."""
    loop = asyncio.get_running_loop()
    parts = urlsplit(config.url)
    t0 = time.perf_counter()
    window = (t0 + config.warmup_s, t0 + config.warmup_s + config.measure_s)
    state = _ClosedLoop(config, window)
    sampler = asyncio.ensure_future(sample_cpu_window(window[0], window[1], config.server_pid))
    clients: list[_Client] = []
    for _ in range(config.connections):
        try:
            _, client = await loop.create_connection(
                lambda: _Client(state), parts.hostname or "127.0.0.1", parts.port or 80
            )
        except OSError:
            state.fail("connect")
            continue
        clients.append(client)
    loadgen_cpu, server_cpu = await sampler
    state.running = False
    for client in clients:
        if client.transport is not None:
            client.transport.close()
    intended_s = config.intended_ms(max(config.output_tokens - 1, 0)) / 1000.0
    return ClosedLoopResult(
        connections=config.connections,
        measure_s=config.measure_s,
        completed=state.completed,
        achieved_rps=round(state.completed / config.measure_s, 2),
        little_bound_rps=round(config.connections / intended_s, 1) if intended_s > 0 else 0.0,
        latency_ms=percentiles(state.latencies_ms),
        first_token_ms=percentiles(state.first_ms),
        failed=dict(state.failures),
        loadgen_cpu_util=round(loadgen_cpu, 3),
        server_cpu_util=None if server_cpu is None else round(server_cpu, 3),
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Process entry point: `python -m bench.selfperf.closed_loop CONFIG_JSON OUT_PATH`."""
    import uvloop

    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        raise SystemExit("usage: python -m bench.selfperf.closed_loop '<LoadConfig JSON>' OUT_PATH")
    config = LoadConfig.from_json(args[0])
    if config.connections <= 0:
        raise SystemExit("closed_loop needs LoadConfig.connections > 0")
    gc.disable()
    result = uvloop.run(run_closed_loop(config))
    Path(args[1]).write_text(json.dumps(result.to_dict()) + "\n")


if __name__ == "__main__":
    main()
