"""A real fake_llm process on a loopback port: connections, timing, capacity, faults, shutdown.

Timing checks use lower bounds (a sleep never ends early) and generous upper bounds: the machine has two
cores shared with other test runs, so only gross errors (a missing delay, a delay paid twice) must fail.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from bench.processes import ManagedProcess, ProcessSpec, awaitbench_argv, free_port, wait_port_free
from fake_llm.launch import fake_llm_argv

MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hello"}]
# Generous slack for a loaded 2-core CI box; the checks below look for missing or doubled delays.
SLACK_S = 0.5


def _stats(base: str) -> dict[str, Any]:
    stats: dict[str, Any] = httpx.get(f"{base}/stats").json()
    return stats


def _client(base: str, **kwargs: Any) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{base}/v1", api_key="k", **kwargs)


@pytest.mark.parametrize(
    "stack",
    [{"http": "httptools", "loop": "uvloop"}, {"http": "h11", "loop": "asyncio"}],
    ids=["uvloop", "asyncio"],
)
def test_keep_alive_client_opens_one_connection_fresh_clients_open_n(
    start_fake_llm: Callable[..., str], stack: dict[str, str]
) -> None:
    base = start_fake_llm(preset="instant", **stack)
    with _client(base) as client:
        for _ in range(5):
            client.chat.completions.create(model="m", messages=MESSAGES)
    stats = _stats(base)
    assert stats["requests_total"] == 5
    assert stats["connections_opened"] == 1
    assert stats["requests_per_connection"] == 5.0

    httpx.post(f"{base}/stats/reset")
    for _ in range(5):
        with _client(base) as client:
            client.chat.completions.create(model="m", messages=MESSAGES)
    stats = _stats(base)
    assert stats["connections_opened"] == 5
    assert stats["requests_per_connection"] == 1.0


def test_forwarded_for_header_does_not_hide_the_connection(start_fake_llm: Callable[..., str]) -> None:
    # A client behind a proxy (or a load tool) may send X-Forwarded-For; uvicorn's proxy-headers middleware
    # would rewrite the client address that connection accounting looks connections up by.
    base = start_fake_llm(preset="instant", handshake_ms=200.0)
    with _client(base, default_headers={"x-forwarded-for": "10.1.2.3"}) as client:
        replies = [
            client.chat.completions.with_raw_response.create(model="m", messages=MESSAGES) for _ in range(3)
        ]
    stats = _stats(base)
    assert stats["connections_opened"] == 1
    assert [float(r.headers["x-fake-intended-ms"]) for r in replies] == pytest.approx([200, 0, 0], abs=1)


def test_handshake_cost_is_charged_once_per_connection(start_fake_llm: Callable[..., str]) -> None:
    base = start_fake_llm(preset="instant", handshake_ms=300.0, rtt_ms=50.0)
    with _client(base) as client:
        started = time.perf_counter()
        first = client.chat.completions.with_raw_response.create(model="m", messages=MESSAGES)
        first_s = time.perf_counter() - started
        second = client.chat.completions.with_raw_response.create(model="m", messages=MESSAGES)
    assert float(first.headers["x-fake-intended-ms"]) == pytest.approx(350, abs=1)
    assert float(second.headers["x-fake-intended-ms"]) == pytest.approx(50, abs=1)
    assert first_s >= 0.35


@pytest.mark.perf
def test_streaming_timing_follows_ttft_and_itl(start_fake_llm: Callable[..., str]) -> None:
    base = start_fake_llm(preset="instant", ttft_ms=200.0, itl_ms=50.0, output_tokens=6)
    with _client(base) as client:
        client.models.list()  # warm the connection so the timing below is the server's
        started = time.perf_counter()
        arrivals: list[float] = []
        for chunk in client.chat.completions.create(model="m", messages=MESSAGES, stream=True):
            if chunk.choices and chunk.choices[0].delta.content:
                arrivals.append(time.perf_counter() - started)
    assert len(arrivals) == 6
    assert 0.2 <= arrivals[0] < 0.2 + SLACK_S
    # Five inter-token gaps of 50 ms after the first token; deadlines are absolute, so the last token
    # cannot come before 200 + 5 * 50 ms, and a late first chunk only shortens the client-side gap.
    assert 0.45 <= arrivals[-1] < 0.45 + SLACK_S
    assert arrivals[-1] - arrivals[0] >= 0.2
    stats = _stats(base)
    assert stats["tokens_out_total"] == 6
    assert stats["scheduling_error_ms"]["count"] == 1


def test_over_capacity_requests_queue_and_wait(start_fake_llm: Callable[..., str]) -> None:
    base = start_fake_llm(preset="instant", ttft_ms=200.0, max_concurrency=2)

    async def main() -> list[float]:
        async with openai.AsyncOpenAI(base_url=f"{base}/v1", api_key="k") as client:
            replies = await asyncio.gather(
                *(
                    client.chat.completions.with_raw_response.create(model="m", messages=MESSAGES)
                    for _ in range(6)
                )
            )
        return sorted(float(r.headers["x-fake-queue-ms"]) for r in replies)

    started = time.perf_counter()
    queue_ms = asyncio.run(main())
    elapsed = time.perf_counter() - started
    # 6 requests, 2 at a time, 200 ms each: three waves.
    assert elapsed >= 0.6
    assert queue_ms[:2] == [0.0, 0.0]
    assert queue_ms[-1] >= 350
    stats = _stats(base)
    assert stats["peak_in_flight"] == 6
    assert stats["requests_by_status"] == {"200": 6}


def test_full_queue_answers_429_that_the_sdk_reports(start_fake_llm: Callable[..., str]) -> None:
    base = start_fake_llm(preset="instant", ttft_ms=300.0, max_concurrency=1, queue_limit=0)

    async def main() -> list[object]:
        async with openai.AsyncOpenAI(base_url=f"{base}/v1", api_key="k", max_retries=0) as client:
            return await asyncio.gather(
                *(client.chat.completions.create(model="m", messages=MESSAGES) for _ in range(3)),
                return_exceptions=True,
            )

    results = asyncio.run(main())
    errors = [r for r in results if isinstance(r, openai.RateLimitError)]
    assert len(errors) == 2
    assert errors[0].response.headers["retry-after"] == "1"
    assert _stats(base)["rate_limited_total"] == 2


def test_sdk_retries_honour_retry_after(start_fake_llm: Callable[..., str]) -> None:
    base = start_fake_llm(preset="instant", fault_first_n=1, fault_kind="429", retry_after_ms=1200)
    with _client(base, max_retries=2) as client:
        started = time.perf_counter()
        reply = client.chat.completions.create(model="m", messages=MESSAGES)
        elapsed = time.perf_counter() - started
    assert reply.choices[0].message.content
    # The SDK's own first backoff is at most 0.5 s; waiting 1.2 s means it used the header.
    assert elapsed >= 1.2
    assert _stats(base)["requests_by_status"] == {"200": 1, "429": 1}


def test_schedule_first_n_and_every_k(start_fake_llm: Callable[..., str]) -> None:
    base = start_fake_llm(preset="instant", fault_first_n=2, fault_every_k=5)
    outcomes = []
    with _client(base, max_retries=0) as client:
        for _ in range(6):
            try:
                client.chat.completions.create(model="m", messages=MESSAGES)
                outcomes.append(200)
            except openai.InternalServerError as exc:
                outcomes.append(exc.status_code)
    assert outcomes == [500, 500, 200, 200, 500, 200]


def test_hang_holds_until_the_client_gives_up(start_fake_llm: Callable[..., str]) -> None:
    base = start_fake_llm(preset="instant", hang_rate=1.0)
    with _client(base, max_retries=0, timeout=0.5) as client, pytest.raises(openai.APITimeoutError):
        client.chat.completions.create(model="m", messages=MESSAGES)
    deadline = time.monotonic() + 5
    while _stats(base)["in_flight"] and time.monotonic() < deadline:
        time.sleep(0.05)
    stats = _stats(base)
    assert stats["hangs_total"] == 1 and stats["in_flight"] == 0


def test_mid_stream_disconnect_and_trickle(start_fake_llm: Callable[..., str]) -> None:
    base = start_fake_llm(preset="instant", output_tokens=10, trickle_ms=60.0)
    received = 0
    with _client(base, max_retries=0) as client:
        with pytest.raises((openai.APIConnectionError, httpx.HTTPError)):
            stream = client.chat.completions.create(
                model="m", messages=MESSAGES, stream=True, extra_headers={"x-fake-fault": "disconnect"}
            )
            for chunk in stream:
                received += bool(chunk.choices and chunk.choices[0].delta.content)
        assert received == 5
        with pytest.raises(openai.APIConnectionError):
            client.chat.completions.create(
                model="m", messages=MESSAGES, extra_headers={"x-fake-fault": "disconnect"}
            )
        started = time.perf_counter()
        trickled = client.chat.completions.create(
            model="m", messages=MESSAGES, extra_headers={"x-fake-fault": "trickle"}
        )
        trickle_s = time.perf_counter() - started
    assert trickled.usage is not None and trickled.usage.completion_tokens == 10
    assert trickle_s >= 7 * 0.06  # eight pieces, seven pauses
    stats = _stats(base)
    assert stats["disconnects_total"] == 2


@pytest.mark.parametrize("command", ["python -m fake_llm", "awaitbench fake-llm"])
def test_shutdown_is_clean_with_a_hung_request(command: str) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    argv = fake_llm_argv(
        port=port, preset="instant", settings={"hang_rate": 1.0, "timeout_graceful_shutdown_s": 1.0}
    )
    if command == "awaitbench fake-llm":
        argv = awaitbench_argv("fake-llm", *argv[3:])  # the same flags, through the one awaitbench CLI
    outcome: list[httpx.Response | httpx.HTTPError] = []

    def hung_call() -> None:
        try:
            outcome.append(
                httpx.post(
                    f"{base}/v1/chat/completions", json={"model": "m", "messages": MESSAGES}, timeout=30
                )
            )
        except httpx.HTTPError as exc:
            outcome.append(exc)

    proc = ManagedProcess(ProcessSpec(name="fake_llm", argv=argv, ready_url=f"{base}/health")).start()
    try:
        proc.wait_ready()
        thread = threading.Thread(target=hung_call, daemon=True)
        thread.start()
        deadline = time.monotonic() + 5
        while _stats(base)["in_flight"] == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        started = time.monotonic()
        proc.stop(grace_s=10)
        stop_s = time.monotonic() - started
        thread.join(timeout=5)
    finally:
        proc.stop()
    assert proc.returncode == 0
    assert stop_s < 5  # graceful timeout 1 s, then the hung request is cancelled
    # The hung client is released: uvicorn answers the cancelled request with a 500, or the socket closes.
    assert outcome, "the hung request never ended"
    assert isinstance(outcome[0], httpx.HTTPError) or outcome[0].status_code == 500
    assert wait_port_free(port)
