"""The closed-loop driver as a real process against a real fake_llm: counts, windows and its own CPU."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from bench.diagnose.children import Driver
from bench.loadgen.closed_loop import LoadSpec


def test_driver_runs_a_closed_loop_and_a_probe(start_fake_llm: Callable[..., str], tmp_path: Path) -> None:
    base = start_fake_llm(ttft_ms=50.0, itl_ms=0.0, output_tokens=4)
    driver = Driver(log_dir=tmp_path)
    driver.launch()
    try:
        driver.ready()
        body = json.dumps({"model": "fake-chat", "messages": [{"role": "user", "content": "hi"}]})
        spec = LoadSpec(
            url=f"{base}/v1/chat/completions",
            method="POST",
            body=body,
            headers={"content-type": "application/json"},
            users=4,
            duration_s=1.0,
            warmup_s=0.25,
        )
        result = driver.load(spec)
        # 4 users of 50 ms calls: ~80 answers a second; a loaded box may do fewer, never more than L allows.
        assert 20 <= result.throughput_rps <= 80 * 1.1
        assert result.statuses == {"200": result.counted} and result.errors == {}
        assert result.started >= result.counted
        # fake_llm counts its 50 ms on uvloop's clock, which reads whole milliseconds cached at each loop
        # iteration: a reply may leave up to ~1 ms before 50 ms of the client's clock have passed.
        assert min(result.latencies_ms) >= 49.0
        assert 0.7 <= result.window_s <= 0.8
        assert 0.0 < result.cpu_share < 0.9
        fixed = driver.load(replace(spec, users=1, max_requests=3, duration_s=60.0, warmup_s=0.0))
        assert (fixed.started, fixed.counted) == (3, 3)
        probe = driver.probe(LoadSpec(url=f"{base}/health", timeout_s=5.0))
        assert probe.answered and probe.status == 200
        refused = driver.probe(LoadSpec(url="http://127.0.0.1:9/nothing", timeout_s=2.0))
        assert not refused.answered and refused.error
    finally:
        driver.stop()
