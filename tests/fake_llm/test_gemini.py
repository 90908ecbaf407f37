"""Gemini's routes in-process (httpx's ASGI transport): which paths match, what a request must carry (a key;
`alt=sse` to stream), the admission rules and limits of the other routes in Google's error shape, and the
catalogue under `/v1` and `/v1beta`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx
import pytest

from fake_llm.gemini import gemini_route
from tests.fake_llm.in_process import run_in_app

PATH = "/v1beta/models/gemini-2.0-flash:generateContent"
BODY = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}], "generationConfig": {"maxOutputTokens": 4}}
KEY = {"x-goog-api-key": "any", "content-type": "application/json"}


def _google_error(response: httpx.Response, status: int, name: str, text: str = "") -> None:
    """`response` is Google's error document: `{"error": {"code", "message", "status"}}`."""
    assert response.status_code == status, (response.status_code, response.text[:300])
    error = response.json()["error"]
    assert set(error) == {"code", "message", "status"} and error["code"] == status, error
    assert error["status"] == name and text in error["message"], error


def _post(flags: Mapping[str, object], path: str, content: bytes, headers: dict[str, str]) -> Any:
    return run_in_app(flags, lambda c: c.post(path, content=content, headers=headers))


@pytest.mark.parametrize(
    ("path", "route"),
    [
        ("/v1/models/gemini-2.0-flash:generateContent", "gemini.generate"),
        ("/v1beta/models/m:streamGenerateContent", "gemini.stream"),
        ("/v1/models/text-embedding-004:batchEmbedContents", "gemini.embed"),
        ("/v1beta/models/text-embedding-004:embedContent", "gemini.embed_one"),
        ("/v1/models/m:countTokens", "gemini.count_tokens"),
        ("/v1/models/m:predict", None),  # Imagen's method: not served
        ("/v1/models/:generateContent", None),  # no model
        ("/v1/models/a/b:generateContent", None),
        ("/v1/models/gemini-2.0-flash", None),  # the catalogue (GET), the control app's
        ("/v2/models/m:generateContent", None),
    ],
)
def test_route_table(path: str, route: str | None) -> None:
    assert gemini_route(path) == route


def test_key_in_the_query_and_the_url_model_in_the_reply() -> None:
    async def body(client: httpx.AsyncClient) -> httpx.Response:
        return await client.post(PATH + "?key=any", json=BODY)

    reply = run_in_app({}, body).json()
    assert reply["modelVersion"] == "gemini-2.0-flash"
    assert reply["usageMetadata"]["candidatesTokenCount"] == 4


@pytest.mark.parametrize(
    ("path", "headers", "status", "name", "text"),
    [
        (PATH, {"content-type": "application/json"}, 403, "PERMISSION_DENIED", "API Key"),
        (PATH, {**KEY, "content-type": "text/plain"}, 415, "INVALID_ARGUMENT", "only 'application/json'"),
        (PATH, {**KEY, "origin": "https://evil.example"}, 403, "PERMISSION_DENIED", "--allowed-origins"),
        (PATH.replace("generateContent", "streamGenerateContent"), KEY, 400, "INVALID_ARGUMENT", "alt=sse"),
        (PATH.replace("generateContent", "predict"), KEY, 404, "NOT_FOUND", "Unknown request URL"),
        (PATH.replace("gemini-2.0-flash", "m" * 257), KEY, 400, "INVALID_ARGUMENT", "at most 256"),
    ],
)
def test_what_a_request_must_carry(
    path: str, headers: dict[str, str], status: int, name: str, text: str
) -> None:
    _google_error(_post({}, path, json.dumps(BODY).encode(), headers), status, name, text)


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ({"contents": []}, "contents is not specified"),
        ({"contents": [{"parts": []}]}, "contents.parts must not be empty"),
        ({"contents": [{"role": "system", "parts": [{"text": "x"}]}]}, "valid role: user, model"),
        ({**BODY, "generationConfig": {"maxOutputTokens": 101}}, "--max-output-tokens"),
        ({**BODY, "generationConfig": {"max_output_tokens": 0}}, "must be positive"),
        ({**BODY, "generationConfig": {"maxOutputTokens": 10**30}}, "--max-output-tokens"),
        ({**BODY, "generationConfig": {"temperature": 3}}, "temperature"),
        ({**BODY, "generationConfig": {"candidateCount": 2}}, "candidate_count"),
    ],
)
def test_bodies_are_validated_within_the_limits(body: dict[str, object], text: str) -> None:
    response = _post({"max_output_tokens": "100"}, PATH, json.dumps(body).encode(), KEY)
    _google_error(response, 400, "INVALID_ARGUMENT", text)


def test_body_size_depth_and_pins_in_googles_shape() -> None:
    deep = json.dumps(BODY)[:-1] + ',"x":' + "[" * 70 + "]" * 70 + "}"
    large = json.dumps({"contents": [{"parts": [{"text": "p" * 3000}]}]})
    _google_error(_post({}, PATH, deep.encode(), KEY), 400, "INVALID_ARGUMENT", "--max-json-depth")
    _google_error(
        _post({"max_body_bytes": "2048"}, PATH, large.encode(), KEY),
        413,
        "INVALID_ARGUMENT",
        "--max-body-bytes",
    )
    pinned = {**KEY, "x-fake-output-tokens": "101"}
    _google_error(
        _post({"max_output_tokens": "100"}, PATH, json.dumps(BODY).encode(), pinned),
        400,
        "INVALID_ARGUMENT",
        "x-fake-output-tokens",
    )


def test_embeddings_within_the_limits() -> None:
    path = "/v1/models/text-embedding-004:batchEmbedContents"

    def batch(n: int, text: str = "a", dims: int = 4) -> bytes:
        request = {"content": {"parts": [{"text": text}]}, "outputDimensionality": dims}
        return json.dumps({"requests": [request] * n}).encode()

    flags = {"max_embedding_inputs": "3", "max_embedding_input_tokens": "10"}
    ok = _post(flags, path, batch(3), KEY)
    assert [len(e["values"]) for e in ok.json()["embeddings"]] == [4, 4, 4]
    _google_error(_post(flags, path, batch(4), KEY), 400, "INVALID_ARGUMENT", "--max-embedding-inputs")
    _google_error(
        _post(flags, path, batch(1, "x" * 41), KEY), 400, "INVALID_ARGUMENT", "--max-embedding-input-tokens"
    )
    _google_error(
        _post(flags, path, batch(1, dims=9000), KEY), 400, "INVALID_ARGUMENT", "output_dimensionality"
    )
    one = _post(
        {}, "/v1beta/models/e:embedContent", json.dumps({"content": {"parts": [{"text": "a"}]}}).encode(), KEY
    )
    assert len(one.json()["embedding"]["values"]) == 768


def test_injected_429_says_when_to_retry_and_a_get_is_a_405() -> None:
    async def body(client: httpx.AsyncClient) -> tuple[httpx.Response, httpx.Response]:
        limited = await client.post(PATH, json=BODY, headers={**KEY, "x-fake-fault": "429"})
        return limited, await client.get(PATH, headers=KEY)

    limited, get = run_in_app({"retry_after_ms": "1500"}, body)
    _google_error(get, 405, "INVALID_ARGUMENT", "only accepts POST")
    assert limited.status_code == 429 and limited.headers["retry-after"] == "2"
    error = limited.json()["error"]
    assert error["status"] == "RESOURCE_EXHAUSTED" and error["details"][0]["retryDelay"] == "1.5s"


def test_the_catalogue_in_googles_shape_for_a_gemini_caller_only() -> None:
    async def body(client: httpx.AsyncClient) -> list[httpx.Response]:
        return [
            await client.get("/v1beta/models", headers=KEY),
            await client.get("/v1/models/gemini-x?key=k"),
            await client.get("/v1/models/other", headers=KEY),
            await client.get("/v1/models"),
        ]

    listed, one, unknown, openai = run_in_app({"models": "gemini-x,text-embedding-004"}, body)
    assert [m["name"] for m in listed.json()["models"]] == ["models/gemini-x", "models/text-embedding-004"]
    assert one.json()["name"] == "models/gemini-x"
    _google_error(unknown, 404, "NOT_FOUND", "models/other")
    assert openai.json()["object"] == "list"


def test_a_large_body_is_parsed_in_the_helper_process_as_well() -> None:
    # Over 64 KiB: parsed off the event loop (fake_llm.parse_worker), the same request either way.
    body = {"contents": [{"parts": [{"text": "word " * 40_000}]}], "generationConfig": {"maxOutputTokens": 3}}
    reply = _post({}, PATH, json.dumps(body).encode(), KEY).json()
    assert reply["usageMetadata"]["promptTokenCount"] == 50_000
    assert reply["usageMetadata"]["candidatesTokenCount"] == 3
