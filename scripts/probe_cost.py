"""What the probe and the watchdog cost a busy loop: `python scripts/probe_cost.py`.

Why a busy loop: they can only cost throughput when the app is CPU-bound (otherwise throughput is set by
latency and their CPU is free). A CPU-bound event loop never sleeps in epoll, so the monitor's callback
is folded into loop iterations and the cost is the monitor thread's Python work per check plus the
callback. This runs a fixed amount of CPU-bound asyncio work (many tasks, each computing then yielding)
bare, under the probe (the harness's lag-only watch, a check every 20 ms, and its recorder) and under a
full watch (`watch_loop()` at the default 50 ms threshold: a check every 10 ms, warnings capture,
coroutine origin tracking), alternating to spread machine noise evenly, and reports the median
process-CPU ratios (process CPU includes the monitor thread). Throughput under HTTP load is measured by
`scripts/overhead.py`; results on the reference machine are in docs/bench.md and docs/detect.md.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass
from typing import Literal

from awaitbench.detect.probe import PROBE_WATCH, LagRecorder
from awaitbench.detect.watchdog import LoopWatch, watch_loop

__all__ = ["ProbeCost", "measure_probe_cost"]

Mode = Literal["bare", "probe", "watch"]


@dataclass(frozen=True, kw_only=True)
class ProbeCost:
    """CPU seconds of the same work bare, under the probe and under a watch (medians over rounds)."""

    without_probe_s: float
    with_probe_s: float
    with_watch_s: float
    rounds: int

    @property
    def overhead_fraction(self) -> float:
        return self.with_probe_s / self.without_probe_s - 1.0

    @property
    def watch_overhead_fraction(self) -> float:
        return self.with_watch_s / self.without_probe_s - 1.0


async def _busy_work(tasks: int, steps: int) -> None:
    async def worker() -> None:
        total = 0
        for step in range(steps):
            total += sum(range(200))  # ~ a few µs of Python, like parsing a small request
            if step % 4 == 0:
                await asyncio.sleep(0)

    await asyncio.gather(*(worker() for _ in range(tasks)))


async def _one_round(*, mode: Mode, tasks: int, steps: int) -> float:
    started = time.process_time()
    if mode == "probe":
        async with LoopWatch(PROBE_WATCH, listeners=[LagRecorder()]):
            await _busy_work(tasks, steps)
    elif mode == "watch":
        async with watch_loop():
            await _busy_work(tasks, steps)
    else:
        await _busy_work(tasks, steps)
    return time.process_time() - started


def measure_probe_cost(*, rounds: int = 5, tasks: int = 100, steps: int = 8000) -> ProbeCost:
    """Alternate rounds bare/probe/watch on a fresh loop each; medians of CPU seconds."""
    used: dict[Mode, list[float]] = {"bare": [], "probe": [], "watch": []}
    for _ in range(rounds):
        for mode in used:
            used[mode].append(asyncio.run(_one_round(mode=mode, tasks=tasks, steps=steps)))
    return ProbeCost(
        without_probe_s=statistics.median(used["bare"]),
        with_probe_s=statistics.median(used["probe"]),
        with_watch_s=statistics.median(used["watch"]),
        rounds=rounds,
    )


if __name__ == "__main__":
    cost = measure_probe_cost()
    print(
        f"busy loop, {cost.rounds} rounds: {cost.without_probe_s:.3f} s CPU bare, "
        f"{cost.with_probe_s:.3f} s with the probe ({cost.overhead_fraction * 100:+.2f}%), "
        f"{cost.with_watch_s:.3f} s under watch_loop() ({cost.watch_overhead_fraction * 100:+.2f}%)"
    )
