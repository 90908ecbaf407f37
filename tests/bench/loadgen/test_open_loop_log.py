"""The open-loop generator in log mode (`awaitbench run --rate`): intended-time latency, the first byte,
drops beyond `max_outstanding`, unanswered requests at the stop. Real fake_llm, real generator process."""

from __future__ import annotations

import io
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bench.loadgen.logs import request_log_files, started_at
from bench.loadgen.open_loop import Request
from bench.loadgen.open_loop_config import OpenLoopConfig
from bench.loadgen.open_loop_log import _LogSink
from bench.loadgen.open_loop_run import open_loop_argv
from bench.measure.requests import read_request_logs, window_counts
from tests.waiting import wait_until

_CHAT = {"model": "fake-chat", "messages": [{"role": "user", "content": "hi"}]}


def _config(base: str, tmp_path: Path, **overrides: Any) -> OpenLoopConfig:
    fields: dict[str, Any] = {
        "url": f"{base}/v1/chat/completions",
        "rate_rps": 20.0,
        "warmup_s": 0.0,
        "measure_s": 30.0,
        "json_body": _CHAT,
        "requests_dir": str(tmp_path),
        "ready_urls": (f"{base}/health",),
    }
    fields.update(overrides)
    return OpenLoopConfig(**fields)


def _start(config: OpenLoopConfig) -> subprocess.Popen[bytes]:
    # Normal scheduling: the test checks what is logged, not how punctual a shared machine lets it be.
    return subprocess.Popen(open_loop_argv(config, sched="normal"))


def _lines(tmp_path: Path) -> list[str]:
    return [line for path in request_log_files(tmp_path) for line in path.read_text().splitlines()]


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0


def test_latency_and_first_byte_count_from_the_intended_send_time() -> None:
    """A request the generator sent 500 ms late still counts from when it was due: the lag is the
    generator's, the wait the user's."""
    handle = io.StringIO()
    config = OpenLoopConfig(
        url="http://127.0.0.1:1/ask", rate_rps=1.0, warmup_s=0.0, measure_s=1.0, stream=True
    )
    sink = _LogSink(config, handle, t0=100.0, epoch0=1_700_000_000.0)
    late = Request(due_s=100.0, dispatched_s=100.5, first_byte_s=100.55)
    sink.answered(late, 200, now=100.6)
    dropped = Request(due_s=101.0)
    sink.dropped(dropped)
    in_flight = Request(due_s=102.0, dispatched_s=102.001)
    sink.unanswered(in_flight)
    assert handle.getvalue().splitlines() == [
        "1700000000.000000,600.000,1,550.000,500.000",
        "1700000001.000000,,,,dropped",
        "1700000002.000000,,,,1.000",
    ]


def test_every_request_is_logged_at_its_intended_time(
    start_fake_llm: Callable[..., str], tmp_path: Path
) -> None:
    base = start_fake_llm(preset="instant")
    proc = _start(_config(base, tmp_path, rate_rps=50.0))
    try:
        wait_until(lambda: len(_lines(tmp_path)), 30.0, "40 logged requests", ready=lambda n: n >= 40)
    finally:
        _stop(proc)
    t0 = started_at(tmp_path)
    assert t0 is not None
    log = read_request_logs(request_log_files(tmp_path))
    order = np.argsort(log.start_s)
    # Constant arrivals: request i is logged at t0 + i / 50, whatever happened to it.
    offsets = log.start_s[order] - t0
    assert np.allclose(offsets, np.arange(offsets.size) / 50.0, atol=1e-5)
    answered = ~np.isnan(log.latency_ms)
    assert answered.sum() >= 40 and log.ok[answered].all()
    assert (log.lag_ms[answered] >= -2.0).all()  # a timer may fire a hair early, never a request much early
    assert (log.latency_ms[answered] >= log.lag_ms[answered]).all()  # latency includes the generator's lag


def test_first_byte_of_a_stream_counts_from_the_intended_time(
    start_fake_llm: Callable[..., str], tmp_path: Path
) -> None:
    base = start_fake_llm(ttft_ms=150.0, itl_ms=50.0, output_tokens=4)
    config = _config(base, tmp_path, rate_rps=10.0, stream=True, json_body={**_CHAT, "stream": True})
    proc = _start(config)
    try:
        wait_until(lambda: len(_lines(tmp_path)), 30.0, "8 logged requests", ready=lambda n: n >= 8)
    finally:
        _stop(proc)
    log = read_request_logs(request_log_files(tmp_path))
    answered = ~np.isnan(log.latency_ms)
    ttfb, total = log.ttfb_ms[answered], log.latency_ms[answered]
    assert not np.isnan(ttfb).any()
    # First token after ~150 ms, the last of 4 tokens ~150 ms later: wide margins for a shared machine.
    assert (ttfb >= 140.0).all() and (total - ttfb >= 100.0).all()


def test_requests_beyond_max_outstanding_are_dropped_never_skipped(
    start_fake_llm: Callable[..., str], tmp_path: Path
) -> None:
    base = start_fake_llm(ttft_ms=20_000.0)  # nothing answers while the test runs
    proc = _start(_config(base, tmp_path, rate_rps=20.0, max_outstanding=3))
    try:
        wait_until(
            lambda: sum(line.endswith(",dropped") for line in _lines(tmp_path)),
            30.0,
            "10 dropped requests",
            ready=lambda n: n >= 10,
        )
    finally:
        _stop(proc)
    lines = _lines(tmp_path)
    dropped = [line for line in lines if line.endswith(",dropped")]
    unanswered = [line for line in lines if line.split(",")[1] == "" and not line.endswith(",dropped")]
    # Three sent and still in flight at the stop (logged as unanswered, with their lag); every other
    # request that came due was dropped, and each is on its own line.
    assert len(unanswered) == 3
    assert len(dropped) == len(lines) - 3
    t0 = started_at(tmp_path)
    assert t0 is not None
    log = read_request_logs(request_log_files(tmp_path))
    counts = window_counts(log, start_s=t0, end_s=float(log.start_s.max()) + 1e-3)
    assert counts.dropped == len(dropped)
    # A dropped request is a failure, and a request with no answer for the latency (a lower bound).
    assert counts.failures == counts.requests == counts.dropped
    assert counts.lower_bound_ms.size == len(lines)
    assert counts.in_flight_count[1] == 3


@pytest.mark.parametrize("bad", [{"rate_rps": 0.0}, {"max_outstanding": 0}, {"url": "ftp://x/y"}])
def test_a_bad_generator_config_is_refused_before_it_runs(bad: dict[str, object], tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        _config("http://127.0.0.1:1", tmp_path, **bad)
