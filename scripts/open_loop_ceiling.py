"""The open-loop generator's ceiling: the highest rate one generator process keeps on schedule on one core.

    python scripts/open_loop_ceiling.py [RATE ...]        (default: 1000 2000 3000 4000 5000)

For each rate: fake_llm (`--preset instant`: no latency, 16 tokens, not streamed) pinned to CPU 0, the
generator exactly as `awaitbench run --rate` starts it (log mode: one line per request; real-time
priority when allowed) pinned to CPU 1, 1 s of warm-up, then a 3 s window read from the generator's own
request log: schedule lag p50/p99/max (actual minus intended send), requests served per second, failed
and dropped ones, and the generator's CPU over the window (100 % = its core). Prints a Markdown table;
docs/bench.md keeps the measured one. A rate is within the generator's reach while its lag p99 stays
<= 2 ms and its CPU below 90 %.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WARMUP_S = 1.0
WINDOW_S = 3.0
SERVER_CPU, GENERATOR_CPU = 0, 1


def _measure(rate: float, work: Path) -> str:
    import numpy as np

    from bench.loadgen.logs import request_log_files, started_at
    from bench.loadgen.open_loop_config import OpenLoopConfig
    from bench.loadgen.open_loop_run import open_loop_argv
    from bench.measure.requests import read_request_logs, window_counts
    from bench.measure.sampling import TreeTracker
    from bench.processes import ManagedProcess, ProcessSpec, free_port, resolve_sched, scheduled
    from fake_llm.launch import fake_llm_argv

    port = free_port()
    requests_dir = work / f"r{rate:g}"
    requests_dir.mkdir()
    server = ProcessSpec(
        name="fake_llm",
        argv=scheduled(fake_llm_argv(host="127.0.0.1", port=port, preset="instant"), resolve_sched("auto")),
        ready_url=f"http://127.0.0.1:{port}/health",
        cpu_affinity=[SERVER_CPU],
    )
    load = OpenLoopConfig(
        url=f"http://127.0.0.1:{port}/v1/chat/completions",
        rate_rps=rate,
        warmup_s=WARMUP_S,
        measure_s=WINDOW_S + 30.0,
        json_body={"model": "fake-chat", "messages": [{"role": "user", "content": "hi"}]},
        requests_dir=str(requests_dir),
    )
    with ManagedProcess(server):
        generator = ManagedProcess(
            ProcessSpec(name="open_loop", argv=open_loop_argv(load), cpu_affinity=[GENERATOR_CPU])
        )
        with generator:
            while (t0 := started_at(requests_dir)) is None:
                time.sleep(0.02)
            time.sleep(max(0.0, t0 + WARMUP_S - time.time()))
            tracker = TreeTracker(generator.pid)
            tracker.start()
            start = time.time()
            while time.time() < start + WINDOW_S:
                time.sleep(0.25)
                tracker.sample()
            end = time.time()
            cpu = tracker.finish()
            generator.stop(grace_s=5.0)
    counts = window_counts(read_request_logs(request_log_files(requests_dir)), start_s=start, end_s=end)
    lag = counts.lag_ms if counts.lag_ms.size else np.zeros(1)
    served = (counts.requests - counts.failures) / (end - start)
    cells = (
        f"{rate:,.0f}",
        f"{served:,.0f}",
        *(f"{value:.2f}" for value in (np.percentile(lag, 50), np.percentile(lag, 99), lag.max())),
        str(counts.failures - counts.dropped),
        str(counts.dropped),
        f"{cpu.busiest_process_percent:.0f}%",
    )
    return "| " + " | ".join(cells) + " |"


def main(argv: list[str]) -> int:
    rates = [float(arg) for arg in argv] or [1000.0, 2000.0, 3000.0, 4000.0, 5000.0]
    columns = ("offered req/s", "served req/s", "lag p50 ms", "lag p99 ms", "lag max ms", "failed", "dropped")
    print("| " + " | ".join((*columns, "generator CPU")) + " |")
    print("|" + "---|" * (len(columns) + 1))
    with tempfile.TemporaryDirectory(prefix="awaitbench-ceiling-") as scratch:
        for rate in rates:
            print(_measure(rate, Path(scratch)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
