"""What the watchdog costs a busy FastAPI app under load: `python scripts/overhead.py`.

The same CPU-bound FastAPI app (a route doing ~0.6 ms of Python per request) is served by uvicorn
(uvloop, httptools) twice: bare, and with `LoopWatchMiddleware` at its defaults (50 ms threshold, a
check every 20 ms, route tags, log lines, Prometheus metrics when prometheus_client is installed). A
closed-loop client (aiohttp, 32 connections) saturates it for a window after a warm-up; the server
runs on CPU 0 and the client on CPU 1 when the machine has two, so they do not fight for a core.
Rounds alternate the order (bare first, then watched first, ...) so drifting machine noise hits both
alike; the result is the median of the per-round throughput ratios, plus each variant's CPU per
request and its idle CPU (no load: the cost of the checks alone). A run whose server used less than
90% of its core was not server-bound (the client, or other jobs on the machine, held it back): such
rounds are reported but left out of the medians when saturated rounds exist. Results: docs/detect.md.

Why a CPU-bound app: only there can the watchdog cost throughput; an app waiting on I/O has CPU to spare.
`DETECT_OVERHEAD_INTERVAL_MS` / `DETECT_OVERHEAD_THRESHOLD_MS` in the environment measure other settings.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "OverheadConfig",
    "OverheadResult",
    "RoundResult",
    "RunResult",
    "measure_overhead",
    "plain_app",
    "watched_app",
]

Variant = Literal["plain", "watched"]
SATURATED_CPU_PERCENT = 90.0


def _busy_app() -> Any:
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/health")
    async def health() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/work/{item_id}")
    async def work(item_id: int) -> dict[str, int]:
        total = 0
        for i in range(12000):  # ~0.6 ms of Python: a request's validation and business logic
            total += i * item_id % 7
        return {"item_id": item_id, "total": total}

    return app


def plain_app() -> Any:
    """The app bare (a uvicorn factory)."""
    return _busy_app()


def watched_app() -> Any:
    """The app under `LoopWatchMiddleware` at its defaults (a uvicorn factory)."""
    from awaitbench.detect.middleware import LoopWatchMiddleware
    from awaitbench.detect.watchdog.config import WatchConfig

    interval = os.environ.get("DETECT_OVERHEAD_INTERVAL_MS")  # to measure other check intervals
    if interval is None:
        return LoopWatchMiddleware(_busy_app())
    threshold = float(os.environ.get("DETECT_OVERHEAD_THRESHOLD_MS", "50"))
    watch = WatchConfig(
        loops="current", coroutine_origin_depth=0, interval_ms=float(interval), threshold_ms=threshold
    )
    return LoopWatchMiddleware(_busy_app(), watch=watch)


@dataclass(frozen=True, kw_only=True)
class OverheadConfig:
    """Args:
    rounds: bare/watched pairs, alternating their order.
    duration_s: measured window per run, after `warmup_s`.
    connections: concurrent keep-alive connections of the client.
    idle_s: window for each variant's idle CPU (no load), measured once.
    port: the server's port.
    """

    rounds: int = 5
    duration_s: float = 8.0
    warmup_s: float = 2.0
    connections: int = 32
    idle_s: float = 5.0
    port: int = 8931


@dataclass(frozen=True, kw_only=True)
class RunResult:
    """One variant's run: throughput, server CPU per request, and how busy the server's core was."""

    rps: float
    cpu_ms_per_request: float
    server_cpu_percent: float

    @property
    def saturated(self) -> bool:
        return self.server_cpu_percent >= SATURATED_CPU_PERCENT


@dataclass(frozen=True, kw_only=True)
class RoundResult:
    plain: RunResult
    watched: RunResult

    @property
    def ratio(self) -> float:
        """Throughput watched / bare."""
        return self.watched.rps / self.plain.rps

    @property
    def cpu_ratio(self) -> float:
        """CPU per request watched / bare."""
        return self.watched.cpu_ms_per_request / self.plain.cpu_ms_per_request

    @property
    def saturated(self) -> bool:
        return self.plain.saturated and self.watched.saturated


@dataclass(frozen=True, kw_only=True)
class OverheadResult:
    rounds: tuple[RoundResult, ...]
    plain_idle_cpu_percent: float
    watched_idle_cpu_percent: float
    cpus: int

    @property
    def counted(self) -> tuple[RoundResult, ...]:
        """The saturated rounds, or all of them when none was."""
        saturated = tuple(r for r in self.rounds if r.saturated)
        return saturated or self.rounds

    @property
    def median_ratio(self) -> float:
        return statistics.median(r.ratio for r in self.counted)

    @property
    def median_cpu_ratio(self) -> float:
        return statistics.median(r.cpu_ratio for r in self.counted)

    @property
    def throughput_cost_percent(self) -> float:
        return (1.0 - self.median_ratio) * 100.0


def _pin(cpu: int) -> None:
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {cpu})


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process, from /proc (Linux)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _start_server(variant: Variant, port: int) -> subprocess.Popen[bytes]:
    argv = [
        *(sys.executable, "-m", "uvicorn", "--factory", f"overhead:{variant}_app"),
        *("--app-dir", str(Path(__file__).resolve().parent)),
        *("--port", str(port), "--loop", "uvloop", "--http", "httptools", "--log-level", "warning"),
    ]
    server = subprocess.Popen(argv, preexec_fn=lambda: _pin(0))
    deadline = time.monotonic() + 30
    while True:  # poll readiness with a deadline
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                return server
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise RuntimeError(f"the {variant} app did not start on port {port}") from None
            time.sleep(0.05)


async def _load(port: int, config: OverheadConfig, pid: int) -> RunResult:
    """Closed-loop load; the figures over the window after the warm-up."""
    import aiohttp

    state = {"counting": False, "count": 0, "stop": False}

    async def worker(session: aiohttp.ClientSession, worker_id: int) -> None:
        while not state["stop"]:
            async with session.get(f"http://127.0.0.1:{port}/work/{worker_id}") as reply:
                await reply.read()
            if state["counting"]:
                state["count"] += 1

    connector = aiohttp.TCPConnector(limit=config.connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        workers = [asyncio.create_task(worker(session, i)) for i in range(config.connections)]
        await asyncio.sleep(config.warmup_s)  # the warm-up window (not synchronisation)
        cpu_before, started = _cpu_s(pid), time.perf_counter()
        state["counting"] = True
        await asyncio.sleep(config.duration_s)  # the measured window
        state["counting"] = False
        elapsed, cpu_used = time.perf_counter() - started, _cpu_s(pid) - cpu_before
        state["stop"] = True
        await asyncio.gather(*workers)
    count = max(int(state["count"]), 1)
    return RunResult(
        rps=round(count / elapsed, 1),
        cpu_ms_per_request=round(cpu_used * 1000.0 / count, 4),
        server_cpu_percent=round(cpu_used / elapsed * 100.0, 1),
    )


def _run(variant: Variant, config: OverheadConfig) -> RunResult:
    server = _start_server(variant, config.port)
    try:
        import uvloop

        return uvloop.run(_load(config.port, config, server.pid))
    finally:
        server.terminate()
        server.wait(timeout=10)


def _idle_cpu_percent(variant: Variant, config: OverheadConfig) -> float:
    server = _start_server(variant, config.port)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{config.port}/work/1", timeout=5):
            pass  # the first request starts the middleware's watch
        before, started = _cpu_s(server.pid), time.perf_counter()
        time.sleep(config.idle_s)  # the measured idle window
        return (_cpu_s(server.pid) - before) / (time.perf_counter() - started) * 100.0
    finally:
        server.terminate()
        server.wait(timeout=10)


def _describe_round(result: RoundResult) -> str:
    plain, watched = result.plain, result.watched
    return (
        f"bare {plain.rps:.0f} req/s ({plain.server_cpu_percent:.0f}% CPU), "
        f"watched {watched.rps:.0f} req/s ({watched.server_cpu_percent:.0f}% CPU): "
        f"throughput ratio {result.ratio:.3f}, CPU/request ratio {result.cpu_ratio:.3f}"
        + ("" if result.saturated else " [not server-bound]")
    )


def measure_overhead(config: OverheadConfig, *, progress: bool = True) -> OverheadResult:
    """Alternate bare/watched runs; see the module docstring for the method."""
    _pin(1)
    rounds = []
    for index in range(config.rounds):
        order: tuple[Variant, Variant] = ("plain", "watched") if index % 2 == 0 else ("watched", "plain")
        runs = {variant: _run(variant, config) for variant in order}
        result = RoundResult(plain=runs["plain"], watched=runs["watched"])
        rounds.append(result)
        if progress:
            print(f"round {index + 1}: {_describe_round(result)}", flush=True)
    return OverheadResult(
        rounds=tuple(rounds),
        plain_idle_cpu_percent=round(_idle_cpu_percent("plain", config), 2),
        watched_idle_cpu_percent=round(_idle_cpu_percent("watched", config), 2),
        cpus=os.cpu_count() or 1,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/overhead.py", description=__doc__.splitlines()[0])
    defaults = OverheadConfig()
    parser.add_argument("--rounds", type=int, default=defaults.rounds)
    parser.add_argument("--duration-s", type=float, default=defaults.duration_s)
    parser.add_argument("--warmup-s", type=float, default=defaults.warmup_s)
    parser.add_argument("--connections", type=int, default=defaults.connections)
    parser.add_argument("--idle-s", type=float, default=defaults.idle_s)
    parser.add_argument("--port", type=int, default=defaults.port)
    parser.add_argument("--json", metavar="FILE", help="also write the result as JSON")
    args = parser.parse_args(argv)
    config = OverheadConfig(
        rounds=args.rounds,
        duration_s=args.duration_s,
        warmup_s=args.warmup_s,
        connections=args.connections,
        idle_s=args.idle_s,
        port=args.port,
    )
    result = measure_overhead(config)
    counted = result.counted
    ratios = sorted(r.ratio for r in counted)
    print(
        (
            f"{len(counted)} of {len(result.rounds)} rounds server-bound and counted; "
            if counted[0].saturated
            else "no round was server-bound (a busy machine): all counted; "
        )
        + f"median throughput ratio watched/bare {result.median_ratio:.3f} "
        f"(cost {result.throughput_cost_percent:+.1f}%; rounds {ratios[0]:.3f}..{ratios[-1]:.3f}); "
        f"median CPU/request ratio {result.median_cpu_ratio:.3f}; "
        f"idle CPU bare {result.plain_idle_cpu_percent:.2f}%, watched {result.watched_idle_cpu_percent:.2f}% "
        "of a core"
    )
    if args.json:
        payload = {
            **asdict(result),
            "median_ratio": result.median_ratio,
            "median_cpu_ratio": result.median_cpu_ratio,
            "config": asdict(config),
        }
        with open(args.json, "w") as out:
            json.dump(payload, out, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
