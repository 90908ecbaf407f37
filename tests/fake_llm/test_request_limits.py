"""The request limits at their boundaries, in-process (httpx's ASGI transport): one byte or one level past a
limit is refused with the documented 4xx, the limit itself is served."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.fake_llm.abuse import CHAT, assert_error
from tests.fake_llm.in_process import run_in_app

JSON = {"content-type": "application/json"}


def _nested(levels: int) -> bytes:
    """A chat request nested `levels` deep in all (the top-level object is level 1)."""
    inner = "[" * (levels - 1) + "]" * (levels - 1)
    return ('{"model":"m","messages":[{"role":"user","content":"hi"}],"x":' + inner + "}").encode()


@pytest.mark.parametrize(("levels", "status"), [(64, 200), (65, 400)])
def test_json_depth_limit(levels: int, status: int) -> None:
    response = run_in_app({}, lambda c: c.post("/v1/chat/completions", content=_nested(levels), headers=JSON))
    assert response.status_code == status, response.text
    if status == 400:
        assert_error(response, 400, code="invalid_json")


def _sized(size: int) -> bytes:
    body = json.dumps({**CHAT, "messages": [{"role": "user", "content": ""}]}).encode()
    padded = json.dumps(
        {**CHAT, "messages": [{"role": "user", "content": "p" * (size - len(body))}]}
    ).encode()
    assert len(padded) == size
    return padded


@pytest.mark.parametrize(("size", "status"), [(2048, 200), (2049, 413)])
@pytest.mark.parametrize("chunked", [False, True])
def test_body_size_limit(size: int, status: int, chunked: bool) -> None:
    body = _sized(size)

    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 500):
            yield body[start : start + 500]

    content: bytes | AsyncIterator[bytes] = pieces() if chunked else body
    response = run_in_app(
        {"max_body_bytes": "2048"},
        lambda c: c.post("/v1/chat/completions", content=content, headers=JSON),
    )
    assert response.status_code == status, response.text
    if status == 413:
        assert_error(response, 413, code="request_too_large")


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        ("application/json", 200),
        ("application/json; charset=utf-8", 200),
        ("Application/JSON", 200),
        ("application/jsonx", 415),
        ("text/json", 415),
        ("text/plain;charset=UTF-8", 415),
        ("multipart/form-data; boundary=x", 415),
    ],
)
def test_only_json_is_accepted(content_type: str, status: int) -> None:
    body = json.dumps(CHAT).encode()
    response = run_in_app(
        {}, lambda c: c.post("/v1/chat/completions", content=body, headers={"content-type": content_type})
    )
    assert response.status_code == status, response.text


@pytest.mark.parametrize(
    ("route", "document", "status", "param"),
    [
        ("/v1/chat/completions", {**CHAT, "max_tokens": 100}, 200, None),
        ("/v1/chat/completions", {**CHAT, "max_tokens": 101}, 400, "max_tokens"),
        ("/v1/responses", {"model": "m", "input": "hi", "max_output_tokens": 101}, 400, "max_output_tokens"),
        ("/v1/chat/completions", {**CHAT, "model": "m" * 257}, 400, "model"),
        ("/v1/embeddings", {"model": "e", "input": ["a"] * 3}, 200, None),
        ("/v1/embeddings", {"model": "e", "input": ["a"] * 4}, 400, "input"),
        ("/v1/embeddings", {"model": "e", "input": "word " * 40}, 400, "input"),
        ("/v1/embeddings", {"model": "e", "input": [[1] * 11]}, 400, "input"),
        ("/v1/embeddings", {"model": "e", "input": [[-1, 2]]}, 400, "input"),
        ("/v1/embeddings", {"model": "e", "input": "hi", "dimensions": 8193}, 400, "dimensions"),
    ],
)
def test_request_limits(route: str, document: dict[str, object], status: int, param: str | None) -> None:
    flags = {"max_output_tokens": "100", "max_embedding_inputs": "3", "max_embedding_input_tokens": "10"}
    response = run_in_app(flags, lambda c: c.post(route, json=document))
    assert response.status_code == status, response.text
    if status != 200:
        assert_error(response, status, param=param)


@pytest.mark.parametrize(
    ("header", "value"),
    [("x-fake-output-tokens", "101"), ("x-fake-ttft-ms", "3600001"), ("x-fake-itl-ms", "inf")],
)
def test_header_pins_are_limited(header: str, value: str) -> None:
    response = run_in_app(
        {"max_output_tokens": "100"},
        lambda c: c.post("/v1/chat/completions", json=CHAT, headers={header: value}),
    )
    assert_error(response, 400, param=header)


def test_control_routes_refuse_foreign_origins_too() -> None:
    async def body(client: httpx.AsyncClient) -> tuple[int, int, int]:
        reset = await client.post("/stats/reset", headers={"origin": "https://evil.example"})
        health = await client.get("/health", headers={"origin": "http://localhost:3000"})
        allowed = await client.post("/stats/reset", headers={"origin": "https://app.example"})
        return reset.status_code, health.status_code, allowed.status_code

    assert run_in_app({"allowed_origins": "https://app.example"}, body) == (403, 200, 200)
