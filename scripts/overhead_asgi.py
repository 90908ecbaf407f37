"""The watchdog's cost per request, without a network or a load generator: `python scripts/overhead_asgi.py`.

Why beside `scripts/overhead.py`: on a shared machine an HTTP throughput A/B is decided by the neighbours
(the server gets whatever CPU is left), so a 2% effect drowns. Here the same busy FastAPI app is driven
directly through ASGI, 32 requests in flight, on one uvloop loop that never idles, bare and under
`LoopWatchMiddleware` at its defaults (monitor thread, a check every 20 ms, route tags, log lines,
Prometheus metrics). The figure is process CPU time per request (the monitor thread included): what
bounds a CPU-bound server's throughput, and what other jobs cannot inflate the way they inflate wall
time. Rounds alternate the order; the result is the median of the per-round ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from overhead import plain_app, watched_app

__all__ = ["AsgiOverhead", "measure_asgi_overhead"]


@dataclass(frozen=True, kw_only=True)
class AsgiOverhead:
    """CPU µs per request, bare and watched, per round; and the watched runs' monitor thread alone."""

    plain_us: tuple[float, ...]
    watched_us: tuple[float, ...]
    monitor_us: tuple[float, ...]
    load_averages: tuple[float, ...] = ()  # the 1-minute load average at each round's start

    @property
    def ratios(self) -> tuple[float, ...]:
        return tuple(w / p for p, w in zip(self.plain_us, self.watched_us, strict=True))

    @property
    def median_ratio(self) -> float:
        return statistics.median(self.ratios)


def _monitors() -> set[int]:
    return {t.ident for t in threading.enumerate() if t.name == "detect-loop-monitor" and t.ident is not None}


def _monitor_cpu_s(idents: set[int]) -> float:
    """CPU seconds so far of the given monitor threads (those started by this run's watch)."""
    total = 0.0
    for ident in idents:
        with contextlib.suppress(OSError):
            total += time.clock_gettime(time.pthread_getcpuclockid(ident))
    return total


async def _drive(app: Any, requests: int, concurrency: int) -> tuple[float, float]:
    """(process, monitor thread) CPU µs per request for `requests` GET /work/N calls, `concurrency` at
    a time."""

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        return None

    def scope(item: int) -> dict[str, Any]:
        return {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": f"/work/{item}",
            "raw_path": f"/work/{item}".encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"bench")],
            "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 80),
        }

    async def worker(offset: int) -> None:
        for item in range(offset, requests, concurrency):
            await app(scope(item % 97), receive, send)
            await asyncio.sleep(0)  # back to the loop between requests, as a server's I/O does

    before = _monitors()
    await app(scope(1), receive, send)  # warm-up, and starts the middleware's watch
    ours = _monitors() - before
    started, monitor_started = time.process_time(), _monitor_cpu_s(ours)
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    used, monitor_used = time.process_time() - started, _monitor_cpu_s(ours) - monitor_started
    return used / requests * 1e6, monitor_used / requests * 1e6


def measure_asgi_overhead(*, rounds: int = 7, requests: int = 4000, concurrency: int = 32) -> AsgiOverhead:
    import uvloop

    plain: list[float] = []
    watched: list[float] = []
    monitor: list[float] = []
    loads: list[float] = []
    for index in range(rounds):
        loads.append(round(os.getloadavg()[0], 2))
        order = ("plain", "watched") if index % 2 == 0 else ("watched", "plain")
        for variant in order:
            app = plain_app() if variant == "plain" else watched_app()
            used, monitor_used = uvloop.run(_drive(app, requests, concurrency))
            if variant == "plain":
                plain.append(round(used, 2))
            else:
                watched.append(round(used, 2))
                monitor.append(round(monitor_used, 3))
    return AsgiOverhead(
        plain_us=tuple(plain),
        watched_us=tuple(watched),
        monitor_us=tuple(monitor),
        load_averages=tuple(loads),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python scripts/overhead_asgi.py", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=4000)
    args = parser.parse_args(argv)
    result = measure_asgi_overhead(rounds=args.rounds, requests=args.requests)
    rows = zip(result.plain_us, result.watched_us, result.monitor_us, result.load_averages, strict=True)
    for index, (p, w, m, load) in enumerate(rows, 1):
        print(
            f"round {index}: bare {p:.1f} µs CPU/request, watched {w:.1f} µs (monitor thread {m:.2f} µs): "
            f"ratio {w / p:.4f}; load average {load:.1f}"
        )
    ratios = sorted(result.ratios)
    monitor = statistics.median(result.monitor_us)
    print(
        f"median CPU/request ratio watched/bare {result.median_ratio:.4f} "
        f"(cost {(result.median_ratio - 1) * 100:+.2f}%; rounds {ratios[0]:.4f}..{ratios[-1]:.4f}); "
        f"monitor thread {monitor:.2f} µs/request "
        f"({monitor / statistics.median(result.plain_us) * 100:.2f}% of a bare request)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
