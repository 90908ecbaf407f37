"""The watchdog's cost per request, without a network or a load generator: `python scripts/overhead_asgi.py`.

Why beside `scripts/overhead.py`: on a shared machine an HTTP throughput A/B is decided by the neighbours
(the server gets whatever CPU is left), so a 1% effect drowns. Here the same busy FastAPI app is driven
directly through ASGI, 32 requests in flight, on one uvloop loop that never idles, bare and under
`LoopWatchMiddleware` at its defaults (monitor thread, a heartbeat every 20 ms, route tags, log lines,
Prometheus metrics). The figure is process CPU time per request (the monitor thread included).

Short blocks, paired and alternated (bare then watched, watched then bare, ...), each on a fresh loop
with the watch started by the first request and stopped by a lifespan shutdown, so slow drifts of a
shared machine hit both sides of a pair alike. The result is the median of the per-pair ratios with a
bootstrap 95% interval; `--control` runs bare against bare to show the noise floor of the same design.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from overhead import plain_app, watched_app

__all__ = ["AsgiOverhead", "measure_asgi_overhead"]

_MONITOR_THREAD = "detect-loop-monitor"


@dataclass(frozen=True, kw_only=True)
class AsgiOverhead:
    """CPU µs per request of each pair's two blocks (bare, and watched or bare again with `control`),
    the watched blocks' monitor thread alone, and the 1-minute load average at each pair's start."""

    plain_us: tuple[float, ...]
    watched_us: tuple[float, ...]
    monitor_us: tuple[float, ...]
    load_averages: tuple[float, ...] = ()
    control: bool = False

    @property
    def ratios(self) -> tuple[float, ...]:
        return tuple(w / p for p, w in zip(self.plain_us, self.watched_us, strict=True))

    @property
    def median_ratio(self) -> float:
        return statistics.median(self.ratios)

    def interval(self, *, resamples: int = 4000, seed: int = 1) -> tuple[float, float]:
        """A bootstrap 95% interval of the median ratio (percentile method)."""
        ratios, rng = self.ratios, random.Random(seed)
        medians = sorted(statistics.median(rng.choices(ratios, k=len(ratios))) for _ in range(resamples))
        return medians[int(resamples * 0.025)], medians[int(resamples * 0.975) - 1]


def _monitors() -> set[int]:
    return {t.ident for t in threading.enumerate() if t.name == _MONITOR_THREAD and t.ident is not None}


def _monitor_cpu_s(idents: set[int]) -> float:
    """CPU seconds so far of the given monitor threads (those started by this block's watch)."""
    total = 0.0
    for ident in idents:
        with contextlib.suppress(OSError):
            total += time.clock_gettime(time.pthread_getcpuclockid(ident))
    return total


def _scope(item: int) -> dict[str, Any]:
    path = f"/work/{item}"
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"bench")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }


async def _lifespan(app: Any, shutdown: asyncio.Event) -> None:
    """Serve the app's lifespan as uvicorn does: startup now, shutdown when `shutdown` is set."""
    messages = iter(({"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}))

    async def receive() -> dict[str, Any]:
        message = next(messages)
        if message["type"] == "lifespan.shutdown":
            await shutdown.wait()
        return message

    async def send(message: dict[str, Any]) -> None:
        return None

    await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)


async def _block(app: Any, requests: int, concurrency: int) -> tuple[float, float]:
    """(process, monitor thread) CPU µs per request for `requests` GET /work/N calls, `concurrency` at
    a time; the app's watch (if any) is started before and stopped after the measured window."""

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        return None

    async def worker(offset: int) -> None:
        for item in range(offset, requests, concurrency):
            await app(_scope(item % 97), receive, send)
            await asyncio.sleep(0)  # back to the loop between requests, as a server's I/O does

    shutdown = asyncio.Event()
    before = _monitors()
    lifespan = asyncio.create_task(_lifespan(app, shutdown))
    await app(_scope(1), receive, send)  # warm-up, and starts the middleware's watch
    ours = _monitors() - before
    started, monitor_started = time.process_time(), _monitor_cpu_s(ours)
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    used, monitor_used = time.process_time() - started, _monitor_cpu_s(ours) - monitor_started
    shutdown.set()
    await lifespan
    return used / requests * 1e6, monitor_used / requests * 1e6


def _run_block(factory: Callable[[], Any], requests: int, concurrency: int) -> tuple[float, float]:
    import uvloop

    result = uvloop.run(_block(factory(), requests, concurrency))
    for thread in threading.enumerate():
        if thread.name == _MONITOR_THREAD:
            thread.join(timeout=5)
    if _monitors():
        raise RuntimeError("a monitor thread outlived its block: the next bare block would pay for it")
    return result


def measure_asgi_overhead(
    *, pairs: int = 40, requests: int = 1000, concurrency: int = 32, control: bool = False
) -> AsgiOverhead:
    """Alternate bare and watched blocks (`control`: bare and bare) `pairs` times."""
    other = plain_app if control else watched_app
    plain: list[float] = []
    watched: list[float] = []
    monitor: list[float] = []
    loads: list[float] = []
    _run_block(plain_app, requests, concurrency)  # warm-up: imports, first-call caches
    for index in range(pairs):
        loads.append(round(os.getloadavg()[0], 2))
        order = ("plain", "other") if index % 2 == 0 else ("other", "plain")
        for variant in order:
            used, monitor_used = _run_block(plain_app if variant == "plain" else other, requests, concurrency)
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
        control=control,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python scripts/overhead_asgi.py", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--pairs", type=int, default=40, help="bare/watched block pairs (default 40)")
    parser.add_argument("--requests", type=int, default=1000, help="requests per block (default 1000)")
    parser.add_argument("--control", action="store_true", help="bare against bare: the noise floor")
    parser.add_argument("--verbose", action="store_true", help="print every pair")
    args = parser.parse_args(argv)
    if args.pairs < 2 or args.requests < 1:
        parser.error("--pairs must be at least 2 and --requests at least 1")
    result = measure_asgi_overhead(pairs=args.pairs, requests=args.requests, control=args.control)
    other = "bare again" if result.control else "watched"
    if args.verbose:
        rows = zip(result.plain_us, result.watched_us, result.monitor_us, result.load_averages, strict=True)
        for index, (p, w, m, load) in enumerate(rows, 1):
            print(
                f"pair {index}: bare {p:.1f} µs CPU/request, {other} {w:.1f} µs (monitor thread {m:.2f} µs): "
                f"ratio {w / p:.4f}; load average {load:.1f}"
            )
    ratios = sorted(result.ratios)
    low, high = result.interval()
    loads = sorted(result.load_averages)
    monitor = statistics.fmean(result.monitor_us)  # it wakes about once a second: most blocks see none
    print(
        f"{other}/bare CPU per request: median {result.median_ratio:.4f} "
        f"(cost {(result.median_ratio - 1) * 100:+.2f}%, 95% interval {(low - 1) * 100:+.2f}%.."
        f"{(high - 1) * 100:+.2f}%); {len(ratios)} pairs of {args.requests} requests, "
        f"pairs {ratios[0]:.3f}..{ratios[-1]:.3f}; bare {statistics.median(result.plain_us):.0f} µs/request; "
        f"load average {loads[0]:.1f}..{loads[-1]:.1f}"
        + (
            ""
            if result.control
            else f"; monitor thread {monitor:.2f} µs/request "
            f"({monitor / statistics.median(result.plain_us) * 100:.2f}% of a bare request)"
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
