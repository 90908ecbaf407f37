"""The generator's closed-loop step (`awaitbench perf`'s points) against a real ceiling: it holds N requests
in flight and measures them."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bench.loadgen.open_loop_config import OpenLoopConfig
from bench.processes import ManagedProcess, ProcessSpec, free_port
from bench.selfperf.config import Mode, PerfConfig
from bench.selfperf.step import CHAT_PATH, server_spec


def _run(tmp_path: Path, load: OpenLoopConfig) -> dict[str, Any]:
    out = tmp_path / "closed.json"
    argv = [sys.executable, "-m", "bench.loadgen.open_loop_main", load.to_json(), str(out)]
    subprocess.run(argv, check=True, timeout=60)
    return dict(json.loads(out.read_text()))


@pytest.mark.parametrize("mode", ["non-streaming", "streaming"])
def test_holds_the_connections_in_flight_and_times_them(
    start_process: Callable[[ProcessSpec], ManagedProcess], tmp_path: Path, mode: Mode
) -> None:
    port = free_port()
    config = PerfConfig(ttft_ms=100, itl_ms=10, output_tokens=4, sched="normal", warmup_s=0.3, measure_s=1.0)
    server = start_process(server_spec("ceiling", config=config, mode=mode, port=port))
    load = config.load_config(
        url=f"http://127.0.0.1:{port}{CHAT_PATH}", mode=mode, connections=5, server_pid=server.pid
    )
    result = _run(tmp_path, load)
    assert load.expected is not None
    intended_ms = load.expected.intended_ms(3)
    # 5 connections, each a request every `intended_ms`: about 5 / 0.1 s = 50 req/s (130 ms streams: 38).
    assert result["little_bound_rps"] == pytest.approx(5 / (intended_ms / 1000), rel=0.01)
    # Wide margins: a loaded machine only makes replies later, so never more than the bound.
    assert 0.5 * result["little_bound_rps"] <= result["achieved_rps"] <= 1.05 * result["little_bound_rps"]
    assert result["failed"] == {}
    assert result["latency_ms"]["p50"] >= intended_ms - 1  # a sleeping server is never early
    first = result["first_token_ms"]["p50"]
    if mode == "streaming":
        assert 100 - 1 <= first < result["latency_ms"]["p50"]  # the first token comes before the last
    else:
        assert first == result["latency_ms"]["p50"]
    assert result["server_cpu_util"] is not None and 0 < result["loadgen_cpu_util"] < 1.5


_URL = "http://127.0.0.1:1/v1/chat/completions"


def _config(**changes: Any) -> OpenLoopConfig:
    return OpenLoopConfig(**{"url": _URL, "warmup_s": 0.0, "measure_s": 1.0, "rate_rps": 0.0, **changes})


def test_a_closed_loop_config_needs_no_rate_and_room_for_its_connections() -> None:
    closed = _config(connections=3)
    assert OpenLoopConfig.from_json(closed.to_json()) == closed
    with pytest.raises(ValueError, match="rate_rps"):
        _config()
    with pytest.raises(ValueError, match="max_outstanding"):
        _config(connections=5, max_outstanding=4)
    with pytest.raises(ValueError, match="log mode"):
        _config(connections=3, requests_dir="/tmp")
    with pytest.raises(ValueError, match="connections"):
        _config(rate_rps=1.0, connections=-1)
    # perf's points may ask for more connections than a rate step allows in flight: the bound follows them.
    perf = PerfConfig(sched="normal").load_config(url=_URL, mode="non-streaming", connections=5000)
    assert perf.connections == 5000 and perf.max_outstanding == 5000
