"""The raw-ASGI ceiling served for real: the official SDK accepts its answers, and it keeps its timing."""

from __future__ import annotations

import time
from collections.abc import Callable

import openai

from bench.processes import ManagedProcess, ProcessSpec, free_port
from bench.selfperf.config import Mode, PerfConfig
from bench.selfperf.step import server_spec


def _start_ceiling(start_process: Callable[[ProcessSpec], ManagedProcess], *, itl_ms: float) -> str:
    port = free_port()
    config = PerfConfig(ttft_ms=60, itl_ms=itl_ms, output_tokens=5, sched="normal")
    mode: Mode = "streaming" if itl_ms else "non-streaming"
    start_process(server_spec("ceiling", config=config, mode=mode, port=port))
    return f"http://127.0.0.1:{port}/v1"


def test_sdk_reads_a_completion_after_the_configured_latency(
    start_process: Callable[[ProcessSpec], ManagedProcess],
) -> None:
    client = openai.OpenAI(base_url=_start_ceiling(start_process, itl_ms=0), api_key="x", max_retries=0)
    started = time.perf_counter()
    completion = client.chat.completions.create(
        model="fake-chat", messages=[{"role": "user", "content": "hi"}]
    )
    elapsed_ms = (time.perf_counter() - started) * 1000
    assert completion.choices[0].message.content
    assert completion.usage is not None and completion.usage.completion_tokens == 5
    # Lower bound is exact (the server sleeps at least 60 ms); the upper one is wide for a busy 2-core box.
    assert 59 <= elapsed_ms < 1000
    client.close()


def test_sdk_streams_chunks_on_schedule(start_process: Callable[[ProcessSpec], ManagedProcess]) -> None:
    client = openai.OpenAI(base_url=_start_ceiling(start_process, itl_ms=40), api_key="x", max_retries=0)
    started = time.perf_counter()
    stream = client.chat.completions.create(
        model="fake-chat", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    arrivals_ms = [
        (time.perf_counter() - started) * 1000
        for chunk in stream
        if chunk.choices and chunk.choices[0].delta.content
    ]
    assert len(arrivals_ms) == 5
    # Chunk k is due at 60 + 40k ms: never early (exact), not absurdly late (wide margin for a busy box).
    for index, arrived in enumerate(arrivals_ms):
        assert arrived >= 60 + 40 * index - 1
    assert arrivals_ms[-1] < 60 + 4 * 40 + 1000
    client.close()
