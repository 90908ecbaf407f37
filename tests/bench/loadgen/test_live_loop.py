"""The live driver as a real process against a real fake_llm: users change while it runs, intervals add up."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import replace

import pytest

from bench.demo.figure_stream import merge_intervals
from bench.errors import ProcessFailed
from bench.loadgen.intervals import Interval
from bench.loadgen.live_loop import LiveTarget
from bench.processes import ManagedProcess, ProcessSpec, free_port, http_json
from tests.waiting import wait_until

CHAT = {"model": "fake-chat", "messages": [{"role": "user", "content": "hi"}]}


def _driver(start_process: Callable[[ProcessSpec], ManagedProcess]) -> str:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    start_process(
        ProcessSpec(
            name="live_loop",
            argv=[sys.executable, "-m", "bench.loadgen.live_loop", "--port", str(port)],
            ready_url=f"{base}/health",
        )
    )
    return base


def _set(driver: str, target: LiveTarget) -> None:
    http_json(f"{driver}/target", method="POST", body=target.to_json())


def _intervals_over(driver: str, seconds: float) -> list[Interval]:
    """Read intervals (every ~0.3 s, as the demo does) until `seconds` of them are in."""
    http_json(f"{driver}/interval", method="POST")  # close what came before
    intervals: list[Interval] = []

    def covered() -> float:
        intervals.append(Interval.from_json(json.dumps(http_json(f"{driver}/interval", method="POST"))))
        return sum(i.duration_s for i in intervals)

    wait_until(covered, seconds * 10, f"{seconds:g} s of intervals", ready=lambda s: s >= seconds)
    return intervals


def test_users_change_while_the_loop_runs(
    start_process: Callable[[ProcessSpec], ManagedProcess], start_fake_llm: Callable[..., str]
) -> None:
    upstream = start_fake_llm(ttft_ms=100.0, itl_ms=0.0, output_tokens=4)
    driver = _driver(start_process)
    target = LiveTarget(url=f"{upstream}/v1/chat/completions", users=2, json_body=CHAT)
    _set(driver, target)
    two = merge_intervals(_intervals_over(driver, 1.5))
    _set(driver, replace(target, users=8))
    _intervals_over(driver, 0.3)  # the new users' first answers
    eight = merge_intervals(_intervals_over(driver, 1.5))
    # 2 users of 100 ms calls: ~20 answers a second, 8 users ~80; a busy machine is slower, never faster.
    assert 8 <= two.throughput_rps <= 20 * 1.15, two
    assert eight.throughput_rps >= 2.5 * two.throughput_rps, (two, eight)
    assert eight.p50_ms is not None and eight.p50_ms >= 100.0
    assert two.failed == eight.failed == 0
    assert 0.0 < eight.loadgen_cpu_percent < 90.0
    _set(driver, replace(target, users=0))
    _intervals_over(driver, 0.3)  # the last requests in flight end
    idle = merge_intervals(_intervals_over(driver, 0.5))
    assert idle.completed == 0 and idle.failed == 0


def test_a_refused_target_is_counted_and_retried_calmly(
    start_process: Callable[[ProcessSpec], ManagedProcess],
) -> None:
    driver = _driver(start_process)
    _set(driver, LiveTarget(url=f"http://127.0.0.1:{free_port()}/ask", users=4))
    refused = merge_intervals(_intervals_over(driver, 1.0))
    # Four users retrying every 0.25 s: ~16 refusals a second, not a spin of thousands.
    assert 4 <= refused.errors_per_s <= 40, refused
    assert refused.completed == 0


def test_a_bad_target_is_refused_with_its_reason(
    start_process: Callable[[ProcessSpec], ManagedProcess],
) -> None:
    driver = _driver(start_process)
    bad = json.dumps({"url": "ftp://x", "users": 1})
    with pytest.raises(ProcessFailed, match="HTTP Error 400"):
        http_json(f"{driver}/target", method="POST", body=bad)
