"""Bedrock Runtime's routes in-process (httpx's ASGI transport): which paths match, what a request must carry
(a signature), a body without Content-Type read as JSON only when signed, and the admission rules and limits
of the other routes as Bedrock's exceptions (`x-amzn-ErrorType`, a `{"message"}` body)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from botocore.eventstream import EventStreamBuffer

from fake_llm.bedrock import bedrock_route
from fake_llm.event_stream import event_headers, frame
from tests.fake_llm.in_process import run_in_app

PATH = "/model/anthropic.claude-3-haiku-20240307-v1:0/converse"
BODY = {"messages": [{"role": "user", "content": [{"text": "hi"}]}], "inferenceConfig": {"maxTokens": 4}}
SIGNED = {"authorization": "AWS4-HMAC-SHA256 Credential=any", "content-type": "application/json"}


def _aws_error(response: httpx.Response, status: int, exception: str, text: str = "") -> None:
    """`response` is Bedrock's error: the exception's name in `x-amzn-ErrorType`, `{"message"}` as body."""
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert response.headers["x-amzn-errortype"] == exception
    document = response.json()
    assert set(document) == {"message"} and text in document["message"], document


def _post(flags: dict[str, object], path: str, content: bytes, headers: dict[str, str]) -> Any:
    return run_in_app(flags, lambda c: c.post(path, content=content, headers=headers))


@pytest.mark.parametrize(
    ("path", "route"),
    [
        ("/model/m/converse", "bedrock.converse"),
        ("/model/anthropic.claude-3-haiku-20240307-v1:0/converse-stream", "bedrock.converse_stream"),
        ("/model/m/invoke", "bedrock.invoke"),
        ("/model/m/invoke-with-response-stream", "bedrock.invoke_stream"),
        # An inference profile's ARN: boto3 encodes its `/`, the path arrives decoded.
        ("/model/arn:aws:bedrock:us-east-1:1:inference-profile/us.m/converse", "bedrock.converse"),
        ("/model//converse", None),
        ("/model/m/apply-guardrail", None),
        ("/models/m/converse", None),
    ],
)
def test_route_table(path: str, route: str | None) -> None:
    assert bedrock_route(path) == route


def test_the_frames_are_what_botocore_reads() -> None:
    buffer = EventStreamBuffer()
    buffer.add_data(
        frame(event_headers("contentBlockDelta"), b'{"delta":{"text":"a"}}')
        + frame(event_headers("messageStop"), b"{}")
    )
    messages = list(buffer)
    assert [m.headers[":event-type"] for m in messages] == ["contentBlockDelta", "messageStop"]
    assert (
        messages[0].headers[":message-type"] == "event" and messages[0].payload == b'{"delta":{"text":"a"}}'
    )


def test_a_signed_body_without_content_type_is_json_an_unsigned_one_is_not() -> None:
    body = json.dumps(BODY).encode()
    signed = _post({}, PATH, body, {"authorization": SIGNED["authorization"]})
    assert signed.status_code == 200 and signed.json()["usage"]["outputTokens"] == 4
    # A browser can send a body without Content-Type, but cannot sign it: the JSON-only rule holds.
    _aws_error(_post({}, PATH, body, {}), 415, "ValidationException", "only 'application/json'")
    _aws_error(_post({}, PATH, body, {**SIGNED, "content-type": "text/plain"}), 415, "ValidationException")
    _aws_error(
        _post({}, PATH, body, {"content-type": "application/json"}),
        403,
        "AccessDeniedException",
        "Missing Authentication Token",
    )


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ({}, "Value null at 'messages'"),
        ({"messages": []}, "must start with a user message"),
        ({"messages": [{"role": "assistant", "content": [{"text": "x"}]}]}, "must start with a user message"),
        ({"messages": [*BODY["messages"], {"role": "system", "content": []}]}, "messages.2.member.role"),
        ({**BODY, "inferenceConfig": {"maxTokens": 101}}, "--max-output-tokens"),
        ({**BODY, "inferenceConfig": {"maxTokens": 0}}, "greater than or equal to 1"),
        ({**BODY, "inferenceConfig": {"maxTokens": 10**30}}, "--max-output-tokens"),
        ({**BODY, "inferenceConfig": {"topP": 2}}, "inferenceConfig.topP"),
        ({**BODY, "system": "not a list"}, "'system'"),
    ],
)
def test_converse_bodies_are_validated_within_the_limits(body: dict[str, object], text: str) -> None:
    response = _post({"max_output_tokens": "100"}, PATH, json.dumps(body).encode(), SIGNED)
    _aws_error(response, 400, "ValidationException", text)


def test_invoke_takes_anthropics_body_within_the_same_limits() -> None:
    path = PATH.replace("/converse", "/invoke")
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 5,
        "messages": [{"role": "user", "content": "hi"}],
    }
    ok = _post({}, path, json.dumps(body).encode(), SIGNED)
    assert (
        ok.json()["usage"]["output_tokens"] == 5
        and ok.json()["model"] == "anthropic.claude-3-haiku-20240307-v1:0"
    )
    too_many = _post(
        {"max_output_tokens": "4", "output_tokens": "4"}, path, json.dumps(body).encode(), SIGNED
    )
    _aws_error(too_many, 400, "ValidationException", "Malformed input request: max_tokens")


def test_body_size_depth_model_id_and_paths_as_bedrocks_exceptions() -> None:
    deep = json.dumps(BODY)[:-1] + ',"additionalModelRequestFields":' + "[" * 70 + "]" * 70 + "}"
    large = json.dumps({"messages": [{"role": "user", "content": [{"text": "p" * 3000}]}]}).encode()
    _aws_error(_post({}, PATH, deep.encode(), SIGNED), 400, "ValidationException", "--max-json-depth")
    _aws_error(
        _post({"max_body_bytes": "2048"}, PATH, large, SIGNED), 413, "ValidationException", "--max-body-bytes"
    )
    long_id = PATH.replace("anthropic.claude-3-haiku-20240307-v1:0", "m" * 257)
    _aws_error(_post({}, long_id, json.dumps(BODY).encode(), SIGNED), 400, "ValidationException", "modelId")
    _aws_error(_post({}, "/model/m/apply-guardrail", b"{}", SIGNED), 404, "ResourceNotFoundException")
    get = run_in_app({}, lambda c: c.get(PATH, headers=SIGNED))
    _aws_error(get, 405, "ValidationException", "only accepts POST")


def test_faults_as_bedrocks_exceptions() -> None:
    async def body(client: httpx.AsyncClient) -> list[httpx.Response]:
        return [
            await client.post(PATH, json=BODY, headers={**SIGNED, "x-fake-fault": fault})
            for fault in ("429", "500", "503", "529")
        ]

    throttled, internal, unavailable, not_ready = run_in_app({}, body)
    _aws_error(throttled, 429, "ThrottlingException", "Too many requests")
    _aws_error(internal, 500, "InternalServerException")
    _aws_error(unavailable, 503, "ServiceUnavailableException")
    _aws_error(not_ready, 529, "ModelNotReadyException")
    assert throttled.headers["x-amzn-requestid"].startswith("req_fake")


def test_a_large_body_is_parsed_in_the_helper_process_as_well() -> None:
    # Over 64 KiB: parsed off the event loop (fake_llm.parse_worker), the same request either way.
    body = {
        "messages": [{"role": "user", "content": [{"text": "word " * 40_000}]}],
        "inferenceConfig": {"maxTokens": 3},
    }
    reply = _post({}, PATH, json.dumps(body).encode(), SIGNED).json()
    assert reply["usage"] == {"inputTokens": 50_003, "outputTokens": 3, "totalTokens": 50_006}
