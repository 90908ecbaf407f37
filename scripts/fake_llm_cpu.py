"""CPU µs per request of fake_llm and of the raw-ASGI ceiling, in-process: `python scripts/fake_llm_cpu.py`.

Each server's real HTTP protocol and app, as `awaitbench perf` configures them, serve in-memory keep-alive
connections at saturation (`bench.selfperf.in_process`); the servers take turns for `--rounds` rounds and
each one's lowest and median figure are printed, with the ratio of the lowest. Robust to a busy machine
(process CPU time, no sockets), so it is the figure to optimise against; `make perf` is the real one.

    python scripts/fake_llm_cpu.py [--modes non-streaming,streaming] [--rounds 5] [--requests 10000]
    python scripts/fake_llm_cpu.py --only fake_llm --rounds 1     # one server once: for py-spy, callgrind

Under callgrind (instructions, not time: the same count however busy the machine):
    valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out .venv/bin/python scripts/fake_llm_cpu.py \\
        --only fake_llm --rounds 1 --requests 2000 --connections 200
"""

from __future__ import annotations

import argparse
import statistics

from bench.selfperf.config import MODES, Mode, PerfConfig, ServerKind
from bench.selfperf.in_process import InProcessLoad, measure


def _modes(text: str) -> list[Mode]:
    return [mode for mode in MODES if mode in text.split(",")]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=10000)
    parser.add_argument("--connections", type=int, default=2000)
    parser.add_argument("--only", choices=("ceiling", "fake_llm"))
    parser.add_argument("--ttft-ms", type=float, default=50.0)
    args = parser.parse_args()
    perf = PerfConfig(sched="normal", ttft_ms=args.ttft_ms)
    kinds: tuple[ServerKind, ...] = (args.only,) if args.only else ("ceiling", "fake_llm")
    load = InProcessLoad(connections=args.connections, warmup=args.connections, requests=args.requests)
    for mode in _modes(args.modes):
        figures: dict[ServerKind, list[float]] = {kind: [] for kind in kinds}
        for _ in range(args.rounds):
            for kind in kinds:
                figures[kind].append(measure(kind, mode, perf, load).cpu_us_per_request)
        for kind, values in figures.items():
            low, mid = min(values), statistics.median(values)
            print(f"{mode:<13} {kind:<8} lowest {low:7.1f} µs, median {mid:7.1f} µs: {values}")
        if len(kinds) == 2:
            ratio = min(figures["ceiling"]) / min(figures["fake_llm"])
            print(f"{mode:<13} ratio of the lowest, ceiling / fake_llm: {ratio:.3f}")


if __name__ == "__main__":
    main()
