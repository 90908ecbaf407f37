"""The official boto3 `bedrock-runtime` client (and aiobotocore's, for asyncio) against a real fake_llm
process, only `endpoint_url` changed and any credentials: it must not tell.

Converse and ConverseStream (AWS event-stream framing), InvokeModel and its stream with Anthropic's body;
errors raised as the service's own exceptions; botocore's retries; faults, hangs and limits, through the
same engine and stats as the OpenAI routes.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import botocore.config
import botocore.exceptions
import httpx
import pytest
import urllib3
from aiobotocore.session import get_session

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Say something deterministic."}]}]
ANTHROPIC_BODY = {
    "anthropic_version": "bedrock-2023-05-31",
    "max_tokens": 6,
    "messages": [{"role": "user", "content": "Say something deterministic."}],
}
CREDENTIALS = {"region_name": "us-east-1", "aws_access_key_id": "any", "aws_secret_access_key": "any"}


def _client(base: str, **config: Any) -> Any:
    settings = botocore.config.Config(**{"retries": {"mode": "standard", "total_max_attempts": 1}, **config})
    return boto3.client("bedrock-runtime", endpoint_url=base, config=settings, **CREDENTIALS)


@pytest.fixture(scope="module")
def client(fast_llm: str) -> Iterator[Any]:
    bedrock = _client(fast_llm)
    yield bedrock
    bedrock.close()


def _stats(base: str) -> dict[str, Any]:
    document: dict[str, Any] = httpx.get(f"{base}/stats").json()
    return document


def test_converse(client: Any) -> None:
    reply = client.converse(modelId=MODEL, messages=MESSAGES, inferenceConfig={"maxTokens": 6})
    short = client.converse(modelId=MODEL, messages=MESSAGES, system=[{"text": "Be brief."}])
    [block] = reply["output"]["message"]["content"]
    assert reply["output"]["message"]["role"] == "assistant" and len(block["text"].split()) == 6
    assert reply["stopReason"] == "max_tokens"
    usage = reply["usage"]
    assert usage["outputTokens"] == 6 and usage["totalTokens"] == usage["inputTokens"] + 6
    assert reply["ResponseMetadata"]["RequestId"].startswith("req_fake")
    # No maxTokens: the server's configured length (the `instant` preset's), stopped on its own.
    assert short["stopReason"] == "end_turn" and short["usage"]["inputTokens"] > usage["inputTokens"]


def test_converse_stream_matches_the_whole_reply(client: Any) -> None:
    whole = client.converse(modelId=MODEL, messages=MESSAGES, inferenceConfig={"maxTokens": 10})
    reply = client.converse_stream(modelId=MODEL, messages=MESSAGES, inferenceConfig={"maxTokens": 10})
    assert reply["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/vnd.amazon.eventstream"
    events = list(reply["stream"])
    kinds = [next(iter(event)) for event in events]
    assert kinds == [
        "messageStart",
        *["contentBlockDelta"] * 10,
        "contentBlockStop",
        "messageStop",
        "metadata",
    ]
    text = "".join(e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e)
    assert text == whole["output"]["message"]["content"][0]["text"]
    assert events[-2]["messageStop"]["stopReason"] == "max_tokens"
    assert events[-1]["metadata"]["usage"]["outputTokens"] == 10


def test_invoke_model_with_anthropics_body(client: Any) -> None:
    # No contentType: boto3 then sends no Content-Type, and Bedrock (and fake_llm) read the body as JSON.
    reply = client.invoke_model(modelId=MODEL, body=json.dumps(ANTHROPIC_BODY))
    message = json.loads(reply["body"].read())
    assert message["type"] == "message" and message["model"] == MODEL
    assert message["stop_reason"] == "max_tokens" and message["usage"]["output_tokens"] == 6
    streamed = client.invoke_model_with_response_stream(
        modelId=MODEL, body=json.dumps(ANTHROPIC_BODY), contentType="application/json"
    )
    events = [json.loads(event["chunk"]["bytes"]) for event in streamed["body"]]
    deltas = [e["delta"]["text"] for e in events if e["type"] == "content_block_delta"]
    assert "".join(deltas) == message["content"][0]["text"]
    assert [e["type"] for e in events][-3:] == ["content_block_stop", "message_delta", "message_stop"]
    metrics = events[-1]["amazon-bedrock-invocationMetrics"]
    assert metrics == {"inputTokenCount": message["usage"]["input_tokens"], "outputTokenCount": 6}


def test_aiobotocore_concurrent_streams(fast_llm: str) -> None:
    async def one(bedrock: Any, i: int) -> str:
        messages = [{"role": "user", "content": [{"text": f"q{i}"}]}]
        reply = await bedrock.converse_stream(
            modelId=MODEL, messages=messages, inferenceConfig={"maxTokens": 5}
        )
        return "".join(
            [
                e["contentBlockDelta"]["delta"]["text"]
                async for e in reply["stream"]
                if "contentBlockDelta" in e
            ]
        )

    async def main() -> tuple[str, list[str]]:
        async with get_session().create_client(
            "bedrock-runtime", endpoint_url=fast_llm, **CREDENTIALS
        ) as bedrock:
            messages = [{"role": "user", "content": [{"text": "q0"}]}]
            whole = await bedrock.converse(modelId=MODEL, messages=messages, inferenceConfig={"maxTokens": 5})
            text: str = whole["output"]["message"]["content"][0]["text"]
            return text, await asyncio.gather(*(one(bedrock, i) for i in range(10)))

    whole, streamed = asyncio.run(main())
    assert [len(text.split()) for text in streamed] == [5] * 10
    assert streamed[0] == whole


def test_validation_errors_as_the_services_exceptions(client: Any, fast_llm: str) -> None:
    # botocore does not refuse an empty conversation: the service does.
    with pytest.raises(client.exceptions.ValidationException) as empty:
        client.converse_stream(modelId=MODEL, messages=[])
    with pytest.raises(client.exceptions.ValidationException) as versionless:
        client.invoke_model(modelId=MODEL, body=json.dumps({"max_tokens": 5, "messages": []}))
    with pytest.raises(client.exceptions.ValidationException) as temperature:
        client.converse(modelId=MODEL, messages=MESSAGES, inferenceConfig={"temperature": 1.5})
    assert "must start with a user message" in empty.value.response["Error"]["Message"]
    assert empty.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "anthropic_version" in versionless.value.response["Error"]["Message"]
    assert "inferenceConfig.temperature" in temperature.value.response["Error"]["Message"]
    # An unsigned request is refused, as by the real service.
    raw = httpx.post(f"{fast_llm}/model/{MODEL}/converse", json={"messages": MESSAGES})
    assert raw.status_code == 403 and raw.headers["x-amzn-errortype"] == "AccessDeniedException"
    assert set(raw.json()) == {"message"}


def _pinned(bedrock: Any, **headers: str) -> None:
    """Send `headers` with every request of `bedrock` (botocore's hook on the request before it is signed)."""

    def add(request: Any, **_: Any) -> None:
        for name, value in headers.items():
            request.headers[name] = value

    bedrock.meta.events.register("before-sign.bedrock-runtime.*", add)


def test_throttling_is_retried_by_botocore(start_fake_llm: Callable[..., str]) -> None:
    base = start_fake_llm(preset="instant", fault_kind="429", fault_first_n=1)
    bedrock = _client(base, retries={"mode": "standard", "total_max_attempts": 2})
    reply = bedrock.converse(modelId=MODEL, messages=MESSAGES, inferenceConfig={"maxTokens": 3})
    assert reply["usage"]["outputTokens"] == 3 and reply["ResponseMetadata"]["RetryAttempts"] == 1
    assert _stats(base)["requests_by_status"] == {"200": 1, "429": 1}
    once = _client(base)
    _pinned(once, **{"x-fake-fault": "429"})
    with pytest.raises(once.exceptions.ThrottlingException):
        once.converse(modelId=MODEL, messages=MESSAGES)


def test_faults_hangs_and_cut_streams(start_fake_llm: Callable[..., str]) -> None:
    base = start_fake_llm(preset="instant", models=MODEL)
    for fault, exception in (
        ("503", "ServiceUnavailableException"),
        ("500", "InternalServerException"),
        ("529", "ModelNotReadyException"),
    ):
        bedrock = _client(base)
        _pinned(bedrock, **{"x-fake-fault": fault})
        with pytest.raises(getattr(bedrock.exceptions, exception)):
            bedrock.converse(modelId=MODEL, messages=MESSAGES)
    plain = _client(base)
    with pytest.raises(plain.exceptions.ResourceNotFoundException):
        plain.converse(modelId="amazon.nova-lite-v1:0", messages=MESSAGES)
    impatient = _client(base, read_timeout=0.3)
    _pinned(impatient, **{"x-fake-fault": "hang"})
    with pytest.raises(botocore.exceptions.ReadTimeoutError):
        impatient.converse(modelId=MODEL, messages=MESSAGES)
    cut = _client(base)
    _pinned(cut, **{"x-fake-fault": "disconnect"})
    with pytest.raises(urllib3.exceptions.ProtocolError):  # what botocore's event stream lets through
        list(
            cut.converse_stream(modelId=MODEL, messages=MESSAGES, inferenceConfig={"maxTokens": 40})["stream"]
        )
    stats = _stats(base)
    assert stats["hangs_total"] == 1 and stats["disconnects_total"] == 1
    assert stats["requests_by_status"]["503"] == 1 and stats["requests_by_status"]["404"] == 1
    metrics = httpx.get(f"{base}/metrics").text
    assert 'fake_llm_requests_total{route="bedrock.converse",status="529"} 1' in metrics
