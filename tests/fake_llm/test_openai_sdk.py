"""The official openai SDK against a real fake_llm process: it must not tell the difference."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Say something deterministic."}]


def _client(base: str, **kwargs: Any) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{base}/v1", api_key="test-key", **kwargs)


def test_chat_completion_non_streaming(fast_llm: str) -> None:
    with _client(fast_llm) as client:
        reply = client.chat.completions.create(model="fake-chat", messages=MESSAGES, max_tokens=12)
    assert reply.object == "chat.completion"
    assert reply.choices[0].message.role == "assistant"
    assert reply.choices[0].finish_reason == "length"
    assert reply.usage is not None
    assert reply.usage.completion_tokens == 12
    assert reply.choices[0].message.content is not None
    assert len(reply.choices[0].message.content.split()) == 12
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + 12


def test_same_request_same_text(fast_llm: str) -> None:
    with _client(fast_llm) as client:
        first = client.chat.completions.create(model="fake-chat", messages=MESSAGES)
        second = client.chat.completions.create(model="fake-chat", messages=MESSAGES)
        other = client.chat.completions.create(model="fake-chat", messages=[{"role": "user", "content": "x"}])
    assert first.choices[0].message.content == second.choices[0].message.content
    assert first.choices[0].message.content != other.choices[0].message.content


def test_streaming_chunks_match_usage(fast_llm: str) -> None:
    with _client(fast_llm) as client:
        stream = client.chat.completions.create(
            model="fake-chat",
            messages=MESSAGES,
            stream=True,
            stream_options={"include_usage": True},
            max_tokens=20,
        )
        chunks = list(stream)
        whole = client.chat.completions.create(model="fake-chat", messages=MESSAGES, max_tokens=20)
    content = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert chunks[0].choices[0].delta.role == "assistant"
    assert len(content) == 20
    usage = chunks[-1].usage
    assert usage is not None and usage.completion_tokens == len(content)
    assert "".join(content) == whole.choices[0].message.content
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["length"]


def test_async_client_concurrent_streams(fast_llm: str) -> None:
    async def one(client: openai.AsyncOpenAI, i: int) -> int:
        stream = await client.chat.completions.create(
            model="fake-chat", messages=[{"role": "user", "content": f"q{i}"}], stream=True, max_tokens=5
        )
        return len([c async for c in stream if c.choices and c.choices[0].delta.content])

    async def main() -> list[int]:
        async with openai.AsyncOpenAI(base_url=f"{fast_llm}/v1", api_key="k") as client:
            return await asyncio.gather(*(one(client, i) for i in range(10)))

    assert asyncio.run(main()) == [5] * 10


def test_models_and_embeddings(fast_llm: str) -> None:
    with _client(fast_llm) as client:
        ids = [m.id for m in client.models.list().data]
        # The SDK asks for base64 by default and decodes it; floats are the other wire format.
        b64 = client.embeddings.create(model="fake-embedding", input=["alpha", "beta"], dimensions=32)
        floats = client.embeddings.create(
            model="fake-embedding", input="alpha", dimensions=32, encoding_format="float"
        )
    assert "fake-chat" in ids
    assert [d.index for d in b64.data] == [0, 1]
    assert len(b64.data[0].embedding) == 32
    assert b64.data[0].embedding == pytest.approx(floats.data[0].embedding, abs=1e-6)
    assert b64.data[0].embedding != pytest.approx(b64.data[1].embedding, abs=1e-6)
    assert sum(v * v for v in floats.data[0].embedding) == pytest.approx(1.0, abs=1e-6)


def test_responses_api(fast_llm: str) -> None:
    with _client(fast_llm) as client:
        pin = {"x-fake-output-tokens": "7"}
        reply = client.responses.create(model="fake-chat", input="hello", extra_headers=pin)
        events = list(
            client.responses.create(model="fake-chat", input="hello", stream=True, extra_headers=pin)
        )
        with client.responses.stream(model="fake-chat", input="hello", extra_headers=pin) as stream:
            final = stream.get_final_response()
        cut = client.responses.create(model="fake-chat", input="hello", max_output_tokens=3)
    assert reply.usage is not None and reply.usage.output_tokens == 7
    assert len(reply.output_text.split()) == 7
    kinds = [e.type for e in events]
    assert kinds[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert kinds.count("response.output_text.delta") == 7
    assert kinds[-1] == "response.completed"
    assert cut.status == "incomplete" and cut.usage is not None and cut.usage.output_tokens == 3
    assert [e.sequence_number for e in events] == list(range(len(events)))
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert deltas == reply.output_text == final.output_text


def test_stats_and_reset(fast_llm: str) -> None:
    httpx.post(f"{fast_llm}/stats/reset")
    with _client(fast_llm) as client:
        for _ in range(3):
            client.chat.completions.create(model="fake-chat", messages=MESSAGES)
    stats = httpx.get(f"{fast_llm}/stats").json()
    assert stats["requests_total"] == 3
    assert stats["requests_by_status"] == {"200": 3}
    assert stats["tokens_out_total"] == 48
    assert stats["in_flight"] == 0 and stats["peak_in_flight"] >= 1
    after = httpx.post(f"{fast_llm}/stats/reset").json()
    assert after["requests_total"] == 0 and after["connections_opened"] == 0
    for key in ("rate_limited_total", "server_errors_total", "hangs_total", "disconnects_total", "uptime_s"):
        assert key in after
    assert set(after["scheduling_error_ms"]) >= {"p50", "p99", "max"}


def test_legacy_completions_whole_stream_and_default_max_tokens(fast_llm: str) -> None:
    prompt = "Say something deterministic."
    with _client(fast_llm) as client:
        whole = client.completions.create(model="gpt-3.5-turbo-instruct", prompt=prompt, max_tokens=20)
        chunks = list(
            client.completions.create(
                model="gpt-3.5-turbo-instruct",
                prompt=prompt,
                max_tokens=20,
                stream=True,
                stream_options={"include_usage": True},
            )
        )
        default = client.completions.create(model="gpt-3.5-turbo-instruct", prompt=[prompt])
    assert whole.object == "text_completion" and whole.id.startswith("cmpl-")
    assert whole.choices[0].finish_reason == "length" and len(whole.choices[0].text.split()) == 20
    assert whole.usage is not None and whole.usage.completion_tokens == 20
    text = [c.choices[0].text for c in chunks if c.choices and c.choices[0].text]
    assert len(text) == 20 and "".join(text) == whole.choices[0].text
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == [
        "length"
    ]
    usage = chunks[-1].usage
    assert (
        usage is not None
        and usage.completion_tokens == 20
        and usage.prompt_tokens == whole.usage.prompt_tokens
    )
    assert default.usage is not None and default.usage.completion_tokens == 16  # the API's default max_tokens
    assert default.choices[0].finish_reason == "length"
    assert whole.choices[0].text.startswith(default.choices[0].text)  # a one-string list is that string


def test_legacy_completions_async_and_refusals(fast_llm: str) -> None:
    async def main() -> str:
        async with openai.AsyncOpenAI(base_url=f"{fast_llm}/v1", api_key="k") as client:
            reply = await client.completions.create(model="m", prompt="Hi", max_tokens=5)
            with pytest.raises(openai.BadRequestError, match="one prompt"):
                await client.completions.create(model="m", prompt=["a", "b"], max_tokens=5)
            with pytest.raises(openai.BadRequestError, match="n=1"):
                await client.completions.create(model="m", prompt="Hi", n=2)
            return reply.choices[0].text

    assert len(asyncio.run(main()).split()) == 5
