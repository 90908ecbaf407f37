"""The official anthropic SDK against a real fake_llm process, only `base_url` changed: it must not tell.

Replies, the `messages.stream` helper, raw events, errors in Anthropic's shape and the SDK's retries
(`retry-after`), sync and async, through the same engine (latency, faults, stats) as the OpenAI routes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import anthropic
import httpx
import pytest
from anthropic.types import MessageParam, TextBlock

MODEL = "claude-fake"
MESSAGES: list[MessageParam] = [{"role": "user", "content": "Say something deterministic."}]


def _client(base: str, **kwargs: Any) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=base, api_key="test-key", **kwargs)


def test_messages_create(fast_llm: str) -> None:
    with _client(fast_llm) as client:
        reply = client.messages.create(model=MODEL, max_tokens=12, messages=MESSAGES)
        short = client.messages.create(
            model=MODEL, max_tokens=12, messages=MESSAGES, extra_headers={"x-fake-output-tokens": "3"}
        )
    assert reply.type == "message" and reply.role == "assistant" and reply.model == MODEL
    assert reply.id.startswith("msg_") and reply._request_id is not None
    [block] = reply.content
    assert block.type == "text" and len(block.text.split()) == 12
    assert reply.stop_reason == "max_tokens" and reply.stop_sequence is None
    assert reply.usage.output_tokens == 12 and reply.usage.input_tokens > 0
    # Fewer tokens than max_tokens: the model stopped on its own.
    assert short.stop_reason == "end_turn" and short.usage.output_tokens == 3


def test_same_prompt_same_text_and_system_counts(fast_llm: str) -> None:
    with _client(fast_llm) as client:
        first = client.messages.create(model=MODEL, max_tokens=8, messages=MESSAGES)
        again = client.messages.create(model=MODEL, max_tokens=8, messages=MESSAGES)
        system = client.messages.create(model=MODEL, max_tokens=8, messages=MESSAGES, system="Be brief. " * 8)
    assert first.content == again.content
    assert system.content != first.content
    assert system.usage.input_tokens > first.usage.input_tokens


def test_stream_helper_matches_the_whole_reply(fast_llm: str) -> None:
    with _client(fast_llm) as client:
        whole = client.messages.create(model=MODEL, max_tokens=20, messages=MESSAGES)
        with client.messages.stream(model=MODEL, max_tokens=20, messages=MESSAGES) as stream:
            pieces = list(stream.text_stream)
            final = stream.get_final_message()
    assert len(pieces) == 20
    [final_block], [whole_block] = final.content, whole.content
    assert isinstance(final_block, TextBlock) and isinstance(whole_block, TextBlock)
    assert "".join(pieces) == final_block.text == whole_block.text
    assert final.stop_reason == "max_tokens" and final.usage.output_tokens == 20


def test_raw_events_in_anthropic_order(fast_llm: str) -> None:
    with _client(fast_llm) as client:
        events = list(client.messages.create(model=MODEL, max_tokens=5, messages=MESSAGES, stream=True))
        # The SDK drops `ping` events; the bytes on the wire show them.
        with client.messages.with_streaming_response.create(
            model=MODEL, max_tokens=5, messages=MESSAGES, stream=True
        ) as raw:
            assert raw.headers["content-type"].startswith("text/event-stream")
            names = [line.removeprefix("event: ") for line in raw.iter_lines() if line.startswith("event: ")]
    kinds = [e.type for e in events]
    assert kinds == [
        "message_start",
        "content_block_start",
        *["content_block_delta"] * 5,
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert names == [*kinds[:2], "ping", *kinds[2:]]
    delta = events[-2]
    assert delta.type == "message_delta"
    assert delta.delta.stop_reason == "max_tokens" and delta.usage.output_tokens == 5


def test_async_client_concurrent_streams(fast_llm: str) -> None:
    async def one(client: anthropic.AsyncAnthropic, i: int) -> int:
        messages: list[MessageParam] = [{"role": "user", "content": f"q{i}"}]
        async with client.messages.stream(model=MODEL, max_tokens=5, messages=messages) as stream:
            pieces = [text async for text in stream.text_stream]
            final = await stream.get_final_message()
        assert final.usage.output_tokens == len(pieces)
        return len(pieces)

    async def main() -> list[int]:
        async with anthropic.AsyncAnthropic(base_url=fast_llm, api_key="k") as client:
            reply = await client.messages.create(model=MODEL, max_tokens=4, messages=MESSAGES)
            assert reply.usage.output_tokens == 4
            return await asyncio.gather(*(one(client, i) for i in range(10)))

    assert asyncio.run(main()) == [5] * 10


def test_validation_errors_in_anthropic_shape(fast_llm: str) -> None:
    with _client(fast_llm, max_retries=0) as client:
        # The SDK itself never omits max_tokens; `omit` plus an explicit timeout sends the body without it.
        with pytest.raises(anthropic.BadRequestError) as missing:
            # call-overload: the SDK's types require max_tokens, and leaving it out is the point here.
            client.messages.create(model=MODEL, messages=MESSAGES, max_tokens=anthropic.omit, timeout=10)  # type: ignore[call-overload]
        with pytest.raises(anthropic.BadRequestError) as system_role:
            client.messages.create(
                model=MODEL,
                max_tokens=5,
                messages=[{"role": "system", "content": "x"}, *MESSAGES],
            )
    assert missing.value.status_code == 400
    assert missing.value.body == {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": "max_tokens: Field required"},
    }
    assert "top-level `system` parameter" in system_role.value.message
    # Without the version header the real API refuses the call, and so does fake_llm.
    raw = httpx.post(f"{fast_llm}/v1/messages", json={"model": MODEL, "max_tokens": 5, "messages": MESSAGES})
    assert raw.status_code == 400
    assert raw.json()["error"] == {
        "type": "invalid_request_error",
        "message": "anthropic-version: header is required",
    }


def test_overloaded_529(fast_llm: str) -> None:
    with _client(fast_llm, max_retries=0) as client, pytest.raises(anthropic.OverloadedError) as caught:
        client.messages.create(
            model=MODEL, max_tokens=5, messages=MESSAGES, extra_headers={"x-fake-fault": "529"}
        )
    assert caught.value.status_code == 529
    assert isinstance(body := caught.value.body, dict) and body["error"]["type"] == "overloaded_error"
    assert caught.value.response.headers["retry-after"] == "1"


def _request_times(sink: list[float]) -> anthropic.DefaultHttpxClient:
    """An HTTP client for the SDK that notes when each attempt leaves (the SDK's retries included)."""
    return anthropic.DefaultHttpxClient(
        event_hooks={"request": [lambda _request: sink.append(time.monotonic())]}
    )


def test_429_is_retried_after_retry_after(start_fake_llm: Callable[..., str]) -> None:
    base = start_fake_llm(preset="instant", fault_kind="429", fault_first_n=1, retry_after_ms=1000)
    sent: list[float] = []
    with _client(base, max_retries=2, http_client=_request_times(sent)) as client:
        reply = client.messages.create(model=MODEL, max_tokens=4, messages=MESSAGES)
    assert reply.usage.output_tokens == 4
    assert len(sent) == 2
    # Without the header the SDK's first backoff is 0.375-0.5 s; 1 s apart means it read retry-after. The
    # upper margin is wide: a loaded machine only ever adds delay.
    assert 0.95 <= sent[1] - sent[0] < 3.0
    stats = httpx.get(f"{base}/stats").json()
    assert stats["requests_by_status"] == {"200": 1, "429": 1}


def test_rate_limit_headers(start_fake_llm: Callable[..., str]) -> None:
    base = start_fake_llm(preset="instant", rpm=2)
    with _client(base, max_retries=0) as client:
        ok = client.messages.with_raw_response.create(model=MODEL, max_tokens=4, messages=MESSAGES)
        client.messages.create(model=MODEL, max_tokens=4, messages=MESSAGES)
        with pytest.raises(anthropic.RateLimitError) as caught:
            client.messages.create(model=MODEL, max_tokens=4, messages=MESSAGES)
    assert ok.headers["anthropic-ratelimit-requests-limit"] == "2"
    assert ok.headers["anthropic-ratelimit-requests-remaining"] == "1"
    limited = caught.value.response.headers
    assert limited["anthropic-ratelimit-requests-remaining"] == "0"
    assert limited["anthropic-ratelimit-requests-reset"].endswith("Z")
    assert 25 <= int(limited["retry-after"]) <= 30  # one request per 30 s refills the bucket
    assert isinstance(body := caught.value.body, dict) and body["error"]["type"] == "rate_limit_error"


def test_same_engine_timing_stats_and_models(start_fake_llm: Callable[..., str]) -> None:
    base = start_fake_llm(preset="instant", models=MODEL)
    with _client(base, max_retries=0) as client:
        timed = client.messages.with_raw_response.create(
            model=MODEL, max_tokens=4, messages=MESSAGES, extra_headers={"x-fake-ttft-ms": "120"}
        )
        with pytest.raises(anthropic.NotFoundError) as unknown:
            client.messages.create(model="claude-other", max_tokens=4, messages=MESSAGES)
        listed = [m.id for m in client.models.list()]
    assert float(timed.headers["x-fake-intended-ms"]) == pytest.approx(120, abs=1)
    assert float(timed.headers["x-fake-actual-ms"]) >= 120
    assert isinstance(body := unknown.value.body, dict) and body["error"]["type"] == "not_found_error"
    assert listed == [MODEL]
    stats = httpx.get(f"{base}/stats").json()
    assert stats["requests_by_status"] == {"200": 1, "404": 1}
    assert stats["tokens_out_total"] == 4
    assert 'fake_llm_requests_total{route="messages",status="200"} 1' in httpx.get(f"{base}/metrics").text
