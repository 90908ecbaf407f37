"""The open-loop generator in step mode (`awaitbench perf`) against a real ceiling server: it counts, times
and catches a wrong latency."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.loadgen.open_loop import percentiles
from bench.loadgen.open_loop_config import OpenLoopConfig
from bench.processes import ManagedProcess, ProcessSpec, free_port
from bench.selfperf.config import Mode, PerfConfig
from bench.selfperf.step import CHAT_PATH, server_spec


def _ceiling(
    start_process: Callable[[ProcessSpec], ManagedProcess], mode: Mode, ttft_ms: float
) -> tuple[str, int]:
    port = free_port()
    config = PerfConfig(ttft_ms=ttft_ms, itl_ms=10, output_tokens=4, sched="normal")
    proc = start_process(server_spec("ceiling", config=config, mode=mode, port=port))
    return f"http://127.0.0.1:{port}{CHAT_PATH}", proc.pid


def _run_loadgen(tmp_path: Path, load: OpenLoopConfig) -> dict[str, Any]:
    out = tmp_path / "result.json"
    subprocess.run(
        [sys.executable, "-m", "bench.loadgen.open_loop_main", load.to_json(), str(out)],
        check=True,
        timeout=60,
    )
    return dict(json.loads(out.read_text()))


def _load(url: str, mode: Mode, *, pid: int | None, ttft_ms: float) -> OpenLoopConfig:
    config = PerfConfig(
        ttft_ms=ttft_ms, itl_ms=10, output_tokens=4, sched="normal", warmup_s=0.3, measure_s=1.0
    )
    return config.load_config(url=url, mode=mode, rate_rps=100, server_pid=pid)


def test_counts_every_measured_request_and_token(
    start_process: Callable[[ProcessSpec], ManagedProcess], tmp_path: Path
) -> None:
    url, pid = _ceiling(start_process, "streaming", ttft_ms=30)
    result = _run_loadgen(tmp_path, _load(url, "streaming", pid=pid, ttft_ms=30))
    # 100 rps for a 1 s window: 100 requests are due in it (open loop; +-1 for float rounding at the edges).
    assert 99 <= result["sent"] <= 101
    assert result["ok"] == result["sent"]
    assert result["failed"] == {}
    assert result["error_samples"] == result["ok"] * 4  # one latency error per token chunk
    assert result["error_ms"]["p50"] > -1  # a sleeping server is never early
    assert result["connections_opened"] < 100  # keep-alive connections are reused
    assert 0 < result["loadgen_cpu_util"] < 1.5
    assert result["server_cpu_util"] is not None


def test_a_server_slower_than_configured_shows_as_latency_error(
    start_process: Callable[[ProcessSpec], ManagedProcess], tmp_path: Path
) -> None:
    # The server sleeps 80 ms but the generator is told 30 ms: every answer is ~50 ms late.
    url, pid = _ceiling(start_process, "non-streaming", ttft_ms=80)
    result = _run_loadgen(tmp_path, _load(url, "non-streaming", pid=pid, ttft_ms=30))
    assert result["ok"] == result["sent"] >= 99
    assert result["error_samples"] == result["ok"]
    assert result["error_ms"]["p50"] >= 49


def test_unreachable_server_counts_failures_not_crashes(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}{CHAT_PATH}"
    result = _run_loadgen(tmp_path, _load(url, "non-streaming", pid=None, ttft_ms=30))
    assert result["ok"] == 0
    assert result["failed"].get("connect") == result["sent"] >= 99
    assert result["server_cpu_util"] is None


def test_percentiles_nearest_rank() -> None:
    values = list(range(1, 101))
    assert percentiles(values) == {"p50": 50, "p90": 90, "p99": 99, "max": 100}
    assert percentiles([]) == {"p50": 0.0, "p90": 0.0, "p99": 0.0, "max": 0.0}
