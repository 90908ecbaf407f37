"""What the loop-lag probe costs a busy app: `python -m bench.inapp.probe_cost`.

Why a busy loop: the probe can only cost throughput when the app is CPU-bound (otherwise throughput is
set by latency and the probe's CPU is free). A CPU-bound event loop never sleeps in epoll, so the
ticker's timer wake-ups are folded into loop iterations and its cost is its Python work per tick.
This runs a fixed amount of CPU-bound asyncio work (many tasks, each computing then yielding) with and
without the probe's ticker, alternating to spread machine noise evenly, and reports the median
process-CPU ratio. Results on the reference machine are in docs/bench.md.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass

from bench.inapp.probe import ProbeState, _tick_forever

__all__ = ["ProbeCost", "measure_probe_cost"]


@dataclass(frozen=True, kw_only=True)
class ProbeCost:
    """CPU seconds of the same work with and without the probe (medians over rounds)."""

    without_probe_s: float
    with_probe_s: float
    rounds: int

    @property
    def overhead_fraction(self) -> float:
        return self.with_probe_s / self.without_probe_s - 1.0


async def _busy_work(tasks: int, steps: int) -> None:
    async def worker() -> None:
        total = 0
        for step in range(steps):
            total += sum(range(200))  # ~ a few µs of Python, like parsing a small request
            if step % 4 == 0:
                await asyncio.sleep(0)

    await asyncio.gather(*(worker() for _ in range(tasks)))


async def _one_round(*, probe: bool, tasks: int, steps: int) -> float:
    ticker = asyncio.get_running_loop().create_task(_tick_forever(ProbeState())) if probe else None
    started = time.process_time()
    await _busy_work(tasks, steps)
    used = time.process_time() - started
    if ticker is not None:
        ticker.cancel()
    return used


def measure_probe_cost(*, rounds: int = 5, tasks: int = 100, steps: int = 8000) -> ProbeCost:
    """Alternate rounds without/with the probe on a fresh loop each; medians of CPU seconds."""
    without: list[float] = []
    with_probe: list[float] = []
    for _ in range(rounds):
        without.append(asyncio.run(_one_round(probe=False, tasks=tasks, steps=steps)))
        with_probe.append(asyncio.run(_one_round(probe=True, tasks=tasks, steps=steps)))
    return ProbeCost(
        without_probe_s=statistics.median(without), with_probe_s=statistics.median(with_probe), rounds=rounds
    )


if __name__ == "__main__":
    cost = measure_probe_cost()
    print(
        f"busy loop, {cost.rounds} rounds: {cost.without_probe_s:.3f} s CPU without the probe, "
        f"{cost.with_probe_s:.3f} s with it: overhead {cost.overhead_fraction * 100:+.2f}%"
    )
