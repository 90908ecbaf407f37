"""The official openai SDK's `AzureOpenAI` and `AsyncAzureOpenAI` against a real fake_llm process, only
`azure_endpoint`, `api_key` and `api_version` pointed at it: chat, streaming, embeddings, responses, the
SDK's retries after `retry-after`, the missing api-version error, and the connection accounting diagnose
reads (one shared client opens one connection; a client per call opens one per call)."""

from __future__ import annotations

import asyncio
import base64
import struct
import time
from collections.abc import Callable
from typing import Any

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

DEPLOYMENT = "my-gpt-4o"
VERSION = "2024-10-21"
MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Say something deterministic."}]


def _azure(endpoint: str, **kwargs: Any) -> openai.AzureOpenAI:
    return openai.AzureOpenAI(azure_endpoint=endpoint, api_key="test-key", api_version=VERSION, **kwargs)


def _async_azure(endpoint: str, **kwargs: Any) -> openai.AsyncAzureOpenAI:
    return openai.AsyncAzureOpenAI(azure_endpoint=endpoint, api_key="test-key", api_version=VERSION, **kwargs)


def test_chat_completion(fast_llm: str) -> None:
    with _azure(fast_llm) as client:
        reply = client.chat.completions.create(model=DEPLOYMENT, messages=MESSAGES, max_tokens=12)
    with openai.OpenAI(base_url=f"{fast_llm}/v1", api_key="k") as plain:
        same = plain.chat.completions.create(model="fake-chat", messages=MESSAGES, max_tokens=12)
    assert reply.model == DEPLOYMENT and reply.object == "chat.completion"
    assert reply.choices[0].finish_reason == "length"
    assert reply.usage is not None and reply.usage.completion_tokens == 12
    assert reply.choices[0].message.content == same.choices[0].message.content  # one engine, one text
    assert reply._request_id is not None


def test_deployment_client_and_ad_token(fast_llm: str) -> None:
    # azure_deployment= puts the deployment in the base URL; azure_ad_token= authenticates with a bearer.
    with openai.AzureOpenAI(
        azure_endpoint=fast_llm, azure_deployment="pinned", azure_ad_token="token", api_version=VERSION
    ) as client:
        reply = client.chat.completions.create(model="anything", messages=MESSAGES, max_tokens=3)
    assert reply.model == "pinned"


def test_async_streams(fast_llm: str) -> None:
    async def one(client: openai.AsyncAzureOpenAI, i: int) -> tuple[str, int]:
        stream = await client.chat.completions.create(
            model=DEPLOYMENT,
            messages=[{"role": "user", "content": f"q{i}"}],
            stream=True,
            stream_options={"include_usage": True},
            max_tokens=6,
        )
        chunks = [chunk async for chunk in stream]
        assert {chunk.model for chunk in chunks} == {DEPLOYMENT}
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        usage = chunks[-1].usage
        assert usage is not None
        return text, usage.completion_tokens

    async def main() -> tuple[list[tuple[str, int]], str | None]:
        async with _async_azure(fast_llm) as client:
            whole = await client.chat.completions.create(
                model=DEPLOYMENT, messages=[{"role": "user", "content": "q0"}], max_tokens=6
            )
            return await asyncio.gather(*(one(client, i) for i in range(8))), whole.choices[0].message.content

    streamed, whole = asyncio.run(main())
    assert [tokens for _, tokens in streamed] == [6] * 8
    assert streamed[0][0] == whole


def test_embeddings(fast_llm: str) -> None:
    with _azure(fast_llm) as client:
        floats = client.embeddings.create(model="emb-deploy", input=["a", "b"], encoding_format="float")
        packed = client.embeddings.create(model="emb-deploy", input=["a", "b"], dimensions=8)  # SDK: base64

    async def from_async() -> list[float]:
        async with _async_azure(fast_llm) as client:
            reply = await client.embeddings.create(model="emb-deploy", input="a", encoding_format="float")
            return reply.data[0].embedding

    assert floats.model == "emb-deploy" and len(floats.data) == 2
    assert len(floats.data[0].embedding) == 1536
    assert sum(x * x for x in floats.data[0].embedding) == pytest.approx(1.0, rel=1e-4)
    assert len(packed.data[0].embedding) == 8
    assert asyncio.run(from_async()) == floats.data[0].embedding


def test_responses(fast_llm: str) -> None:
    with _azure(fast_llm) as client:
        reply = client.responses.create(model=DEPLOYMENT, input="hello", max_output_tokens=5)
        events = [e.type for e in client.responses.create(model=DEPLOYMENT, input="hello", stream=True)]
    assert reply.model == DEPLOYMENT and reply.status == "incomplete"
    assert len(reply.output_text.split()) == 5
    assert events[0] == "response.created" and events[-1] == "response.completed"


def test_v1_api_with_the_plain_client(fast_llm: str) -> None:
    # Azure's v1 API: the plain OpenAI client, base URL {endpoint}/openai/v1/, the deployment as the model.
    with openai.OpenAI(base_url=f"{fast_llm}/openai/v1/", api_key="test-key") as client:
        reply = client.chat.completions.create(model=DEPLOYMENT, messages=MESSAGES, max_tokens=3)
    assert reply.model == DEPLOYMENT and reply.usage is not None and reply.usage.completion_tokens == 3


def test_missing_api_version_is_a_404_in_azures_shape(fast_llm: str) -> None:
    # AzureOpenAI always sends api-version; the plain client pointed at a deployment URL does not.
    url = f"{fast_llm}/openai/deployments/{DEPLOYMENT}"
    client = openai.OpenAI(base_url=url, api_key="x", default_headers={"api-key": "x"})
    with client, pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model=DEPLOYMENT, messages=MESSAGES)
    assert caught.value.status_code == 404
    assert caught.value.code == "404"
    assert caught.value.message.startswith("Error code: 404 - Resource not found")
    body = caught.value.body
    assert isinstance(body, dict) and set(body) == {"code", "message"}  # the SDK hands over body["error"]
    assert "api-version" in body["message"]


def _request_times(sink: list[float]) -> openai.DefaultAsyncHttpxClient:
    """An HTTP client for the SDK that notes when each attempt leaves (the SDK's retries included)."""

    async def note(_request: object) -> None:
        sink.append(time.monotonic())

    return openai.DefaultAsyncHttpxClient(event_hooks={"request": [note]})


def test_429_is_retried_after_retry_after(start_fake_llm: Callable[..., str]) -> None:
    base = start_fake_llm(preset="instant", fault_kind="429", fault_first_n=1, retry_after_ms=1500)
    sent: list[float] = []

    async def main() -> int:
        async with _async_azure(base, max_retries=2, http_client=_request_times(sent)) as client:
            reply = await client.chat.completions.create(model=DEPLOYMENT, messages=MESSAGES, max_tokens=4)
            assert reply.usage is not None
            return reply.usage.completion_tokens

    assert asyncio.run(main()) == 4
    assert len(sent) == 2
    # The 429 said retry-after: 2 and retry-after-ms: 1500; the SDK reads the milliseconds first. Without
    # either its first backoff is 0.375-0.5 s, so >= 1.45 s means it waited as told. The upper margin is
    # wide: a loaded machine only ever adds delay.
    assert 1.45 <= sent[1] - sent[0] < 4.0
    stats = httpx.get(f"{base}/stats").json()
    assert stats["requests_by_status"] == {"200": 1, "429": 1}


def test_the_429_itself(start_fake_llm: Callable[..., str]) -> None:
    base = start_fake_llm(preset="instant", fault_kind="429", fault_every_k=1, retry_after_ms=1500)
    with _azure(base, max_retries=0) as client, pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model=DEPLOYMENT, messages=MESSAGES)
    headers = caught.value.response.headers
    assert headers["retry-after"] == "2" and headers["retry-after-ms"] == "1500"
    assert caught.value.code == "429"


def test_connections_one_shared_client_against_one_per_call(start_fake_llm: Callable[..., str]) -> None:
    """What diagnose reads for `per_request_client`: the same engine counts Azure's connections."""
    base = start_fake_llm(preset="instant")

    async def ask(client: openai.AsyncAzureOpenAI) -> None:
        await client.chat.completions.create(model=DEPLOYMENT, messages=MESSAGES, max_tokens=2)

    async def shared() -> None:
        async with _async_azure(base) as client:
            for _ in range(5):
                await ask(client)

    async def per_call() -> None:
        for _ in range(5):
            async with _async_azure(base) as client:
                await ask(client)

    asyncio.run(shared())
    assert httpx.get(f"{base}/stats").json()["connections_opened"] == 1
    httpx.post(f"{base}/stats/reset")
    asyncio.run(per_call())
    stats = httpx.get(f"{base}/stats").json()
    assert stats["connections_opened"] == 5 and stats["requests_by_status"] == {"200": 5}


def test_packed_embeddings_decode_to_the_float_ones(fast_llm: str) -> None:
    raw = httpx.post(
        f"{fast_llm}/openai/deployments/emb/embeddings?api-version={VERSION}",
        json={"model": "emb", "input": "a", "dimensions": 4, "encoding_format": "base64"},
        headers={"api-key": "k"},
    ).json()
    floats = httpx.post(
        f"{fast_llm}/openai/deployments/emb/embeddings?api-version={VERSION}",
        json={"model": "emb", "input": "a", "dimensions": 4},
        headers={"api-key": "k"},
    ).json()
    decoded = struct.unpack("<4f", base64.b64decode(raw["data"][0]["embedding"]))
    assert decoded == pytest.approx(floats["data"][0]["embedding"], rel=1e-6)


def test_legacy_completions_on_a_deployment(fast_llm: str) -> None:
    with _azure(fast_llm) as client:
        reply = client.completions.create(model=DEPLOYMENT, prompt="Say something.", max_tokens=8)
        streamed = list(
            client.completions.create(model=DEPLOYMENT, prompt="Say something.", max_tokens=8, stream=True)
        )
    assert reply.model == DEPLOYMENT and reply.object == "text_completion"
    assert reply.usage is not None and reply.usage.completion_tokens == 8
    assert "".join(c.choices[0].text for c in streamed if c.choices) == reply.choices[0].text
