"""The official google-genai SDK against a real fake_llm process, only `base_url` changed: it must not tell.

Generation (whole and streamed), embeddings, token counts and the model catalogue, sync and `client.aio`;
errors as the SDK's own exceptions in Google's shape; the SDK's retries of a 429 that says when to retry;
faults, hangs and limits, through the same engine and stats as the OpenAI routes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import httpx2
import pytest
from google import genai
from google.genai import errors, types

MODEL = "gemini-2.0-flash"
# google-genai's async client subclasses aiohttp's ClientSession, which aiohttp warns about: not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:Inheritance class AiohttpClientSession:DeprecationWarning")


def _client(base: str, **options: Any) -> genai.Client:
    return genai.Client(api_key="test-key", http_options=types.HttpOptions(base_url=base, **options))


def _pinned(**headers: str) -> types.GenerateContentConfig:
    return types.GenerateContentConfig(http_options=types.HttpOptions(headers=headers))


def _stats(base: str) -> dict[str, Any]:
    document: dict[str, Any] = httpx.get(f"{base}/stats").json()
    return document


def test_generate_content(fast_llm: str) -> None:
    client = _client(fast_llm)
    reply = client.models.generate_content(
        model=MODEL,
        contents="Say something.",
        config={"max_output_tokens": 6, "system_instruction": "Be brief."},
    )
    short = client.models.generate_content(
        model=MODEL, contents="Say something.", config=_pinned(**{"x-fake-output-tokens": "3"})
    )
    again = client.models.generate_content(
        model=MODEL,
        contents="Say something.",
        config={"max_output_tokens": 6, "system_instruction": "Be brief."},
    )
    assert reply.text is not None and len(reply.text.split()) == 6 and reply.text == again.text
    assert reply.model_version == MODEL and reply.response_id
    [candidate] = reply.candidates or []
    assert candidate.finish_reason == types.FinishReason.MAX_TOKENS
    usage = reply.usage_metadata
    assert usage is not None and usage.candidates_token_count == 6 and usage.prompt_token_count
    assert usage.total_token_count == usage.prompt_token_count + 6
    # Fewer tokens than max_output_tokens: the model stopped on its own.
    assert (short.candidates or [])[0].finish_reason == types.FinishReason.STOP


def test_stream_matches_the_whole_reply(fast_llm: str) -> None:
    client = _client(fast_llm)
    config = types.GenerateContentConfig(max_output_tokens=12)
    whole = client.models.generate_content(model=MODEL, contents="Tell me more.", config=config)
    chunks = list(client.models.generate_content_stream(model=MODEL, contents="Tell me more.", config=config))
    assert "".join(chunk.text or "" for chunk in chunks) == whole.text
    last = chunks[-1]
    assert (last.candidates or [])[0].finish_reason == types.FinishReason.MAX_TOKENS
    assert last.usage_metadata is not None and last.usage_metadata.candidates_token_count == 12
    # The real API's framing: server-sent events, each `data: {...}` closed by a blank line, no [DONE].
    raw = httpx.post(
        f"{fast_llm}/v1beta/models/{MODEL}:streamGenerateContent?alt=sse",
        json={"contents": [{"parts": [{"text": "hi"}]}], "generationConfig": {"maxOutputTokens": 3}},
        headers={"x-goog-api-key": "k"},
    )
    assert raw.headers["content-type"] == "text/event-stream"
    events = raw.text.split("\r\n\r\n")
    assert events[-1] == "" and all(event.startswith("data: {") for event in events[:-1])
    assert len(events) == 3 + 2  # a chunk per token, the closing chunk, the empty tail


def test_async_client_concurrent_streams(fast_llm: str) -> None:
    async def one(aio: genai.client.AsyncClient, i: int) -> str:
        stream = await aio.models.generate_content_stream(
            model=MODEL, contents=f"q{i}", config={"max_output_tokens": 5}
        )
        return "".join([chunk.text or "" async for chunk in stream])

    async def main(client: genai.Client) -> tuple[str | None, list[str]]:
        async with client.aio as aio:
            whole = await aio.models.generate_content(
                model=MODEL, contents="q0", config={"max_output_tokens": 5}
            )
            return whole.text, await asyncio.gather(*(one(aio, i) for i in range(10)))

    with _client(fast_llm) as client:
        whole, streamed = asyncio.run(main(client))
    assert [len(text.split()) for text in streamed] == [5] * 10
    assert streamed[0] == whole


def test_embeddings_count_tokens_and_models(fast_llm: str) -> None:
    client = _client(fast_llm)
    reply = client.models.embed_content(
        model="text-embedding-004",
        contents=[types.Content(parts=[types.Part(text=t)]) for t in ("a", "b", "a")],
    )
    small = client.models.embed_content(
        model="text-embedding-004", contents="a", config={"output_dimensionality": 8}
    )
    counted = client.models.count_tokens(model=MODEL, contents="x" * 40)
    generated = client.models.generate_content(
        model=MODEL, contents="x" * 40, config={"max_output_tokens": 1}
    )
    vectors = [e.values or [] for e in reply.embeddings or []]
    assert [len(v) for v in vectors] == [768] * 3 and vectors[0] == vectors[2] != vectors[1]
    assert sum(x * x for x in vectors[0]) == pytest.approx(1.0, rel=1e-4)
    assert [len(e.values or []) for e in small.embeddings or []] == [8]
    assert counted.total_tokens == 10
    assert generated.usage_metadata is not None and generated.usage_metadata.prompt_token_count == 10
    assert [m.name for m in client.models.list()] == ["models/fake-chat", "models/fake-embedding"]
    assert client.models.get(model=MODEL).name == f"models/{MODEL}"


def test_validation_errors_in_googles_shape(fast_llm: str) -> None:
    client = _client(fast_llm)
    with pytest.raises(errors.ClientError) as role:
        client.models.generate_content(
            model=MODEL, contents=[types.Content(role="system", parts=[types.Part(text="x")])]
        )
    with pytest.raises(errors.ClientError) as candidates:
        client.models.generate_content(model=MODEL, contents="x", config={"candidate_count": 2})
    assert role.value.code == 400 and role.value.status == "INVALID_ARGUMENT"
    assert "valid role: user, model" in (role.value.message or "")
    assert "candidate_count" in (candidates.value.message or "")
    # Without a key the real API refuses the call, and so does fake_llm.
    raw = httpx.post(f"{fast_llm}/v1/models/{MODEL}:generateContent", json={"contents": []})
    assert raw.status_code == 403 and raw.json()["error"]["status"] == "PERMISSION_DENIED"


def test_429_is_retried_by_the_sdk(start_fake_llm: Callable[..., str]) -> None:
    base = start_fake_llm(preset="instant", fault_kind="429", fault_first_n=1, retry_after_ms=200)
    raw = httpx.post(
        f"{base}/v1/models/{MODEL}:generateContent",
        json={"contents": [{"parts": [{"text": "hi"}]}]},
        headers={"x-goog-api-key": "k"},
    )
    retry = types.HttpRetryOptions(attempts=2, initial_delay=0.05, max_delay=0.1, jitter=0)
    retrying = _client(base, retry_options=retry)
    reply = retrying.models.generate_content(model=MODEL, contents="hi")
    error = raw.json()["error"]
    assert raw.status_code == 429 and error["status"] == "RESOURCE_EXHAUSTED"
    assert error["details"] == [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0.2s"}]
    assert reply.text
    assert _stats(base)["requests_by_status"] == {"200": 1, "429": 1}


def test_faults_hangs_and_cut_streams(start_fake_llm: Callable[..., str]) -> None:
    base = start_fake_llm(preset="instant", models=f"{MODEL}")
    client = _client(base)
    with pytest.raises(errors.ServerError) as unavailable:
        client.models.generate_content(model=MODEL, contents="hi", config=_pinned(**{"x-fake-fault": "503"}))
    with pytest.raises(errors.ClientError) as unknown:
        client.models.generate_content(model="gemini-other", contents="hi")
    impatient = _client(base, timeout=300)
    with pytest.raises(httpx2.TimeoutException):
        impatient.models.generate_content(
            model=MODEL, contents="hi", config=_pinned(**{"x-fake-fault": "hang"})
        )
    with pytest.raises(httpx2.HTTPError):
        config = types.GenerateContentConfig(
            max_output_tokens=40, http_options=types.HttpOptions(headers={"x-fake-fault": "disconnect"})
        )
        list(client.models.generate_content_stream(model=MODEL, contents="hi", config=config))
    assert unavailable.value.code == 503 and unavailable.value.status == "UNAVAILABLE"
    assert unknown.value.code == 404 and unknown.value.status == "NOT_FOUND"
    stats = _stats(base)
    assert stats["hangs_total"] == 1 and stats["disconnects_total"] == 1
    assert stats["requests_by_status"]["503"] == 1 and stats["requests_by_status"]["404"] == 1
    metrics = httpx.get(f"{base}/metrics").text
    assert 'fake_llm_requests_total{route="gemini.generate",status="503"} 1' in metrics
