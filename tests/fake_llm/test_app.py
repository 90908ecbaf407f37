"""Request handling in-process (httpx's ASGI transport): bad input, errors, overrides, stats, metrics."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.fake_llm.in_process import run_in_app

CHAT = {"model": "fake-chat", "messages": [{"role": "user", "content": "hi"}]}
JSON_TYPE = {"content-type": "application/json"}


def _error(response: httpx.Response) -> dict[str, Any]:
    document = response.json()
    assert set(document["error"]) == {"message", "type", "param", "code"}
    error: dict[str, Any] = document["error"]
    return error


@pytest.mark.parametrize(
    ("payload", "param"),
    [
        (b"{not json", None),
        (b"[1, 2]", None),
        (json.dumps({"messages": [{"role": "user", "content": "x"}]}).encode(), "model"),
        (json.dumps({"model": "m"}).encode(), "messages"),
        (json.dumps({"model": "m", "messages": []}).encode(), "messages"),
        (json.dumps({"model": "m", "messages": ["hi"]}).encode(), "messages"),
        (json.dumps({**CHAT, "max_tokens": 0}).encode(), "max_tokens"),
        (json.dumps({**CHAT, "stream": "yes"}).encode(), "stream"),
        (json.dumps({**CHAT, "n": 3}).encode(), "n"),
        (json.dumps({**CHAT, "stream_options": {"include_usage": True}}).encode(), "stream_options"),
    ],
)
def test_bad_chat_requests_get_400(payload: bytes, param: str | None) -> None:
    response = run_in_app({}, lambda c: c.post("/v1/chat/completions", content=payload, headers=JSON_TYPE))
    assert response.status_code == 400
    error = _error(response)
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param


def test_bad_embeddings_and_responses_requests() -> None:
    async def body(client: httpx.AsyncClient) -> list[httpx.Response]:
        return [
            await client.post("/v1/embeddings", json={"model": "e", "input": ""}),
            await client.post("/v1/embeddings", json={"model": "e", "input": "x", "dimensions": -1}),
            await client.post("/v1/embeddings", json={"model": "e", "input": "x", "encoding_format": "hex"}),
            await client.post("/v1/responses", json={"model": "m"}),
            await client.post("/v1/responses", json={"model": "m", "input": "x", "max_output_tokens": "9"}),
        ]

    for response in run_in_app({}, body):
        assert response.status_code == 400, response.text
        _error(response)


def test_unknown_model_when_a_list_is_configured() -> None:
    async def body(client: httpx.AsyncClient) -> tuple[httpx.Response, httpx.Response, httpx.Response]:
        bad = await client.post("/v1/chat/completions", json={**CHAT, "model": "gpt-9"})
        good = await client.post("/v1/chat/completions", json={**CHAT, "model": "mine"})
        listed = await client.get("/v1/models")
        return bad, good, listed

    bad, good, listed = run_in_app({"models": "mine,other"}, body)
    assert bad.status_code == 404 and _error(bad)["code"] == "model_not_found"
    assert good.status_code == 200
    assert [m["id"] for m in listed.json()["data"]] == ["mine", "other"]


def test_wrong_method_and_unknown_path() -> None:
    async def body(client: httpx.AsyncClient) -> tuple[httpx.Response, httpx.Response]:
        return await client.get("/v1/chat/completions"), await client.post("/v1/nothing", json={})

    wrong, unknown = run_in_app({}, body)
    assert wrong.status_code == 405 and _error(wrong)
    assert unknown.status_code == 404 and "Unknown request URL" in _error(unknown)["message"]


def test_override_headers_and_timing_headers() -> None:
    async def body(client: httpx.AsyncClient) -> tuple[httpx.Response, httpx.Response]:
        pinned = await client.post(
            "/v1/chat/completions", json=CHAT, headers={"x-fake-output-tokens": "3", "x-fake-ttft-ms": "30"}
        )
        bad = await client.post("/v1/chat/completions", json=CHAT, headers={"x-fake-itl-ms": "fast"})
        return pinned, bad

    pinned, bad = run_in_app({}, body)
    assert pinned.json()["usage"]["completion_tokens"] == 3
    intended = float(pinned.headers["x-fake-intended-ms"])
    assert intended == pytest.approx(30.0, abs=0.5)
    # Server-side: actual covers intended plus the loop's lateness (wide: a shared 2-core machine).
    assert intended <= float(pinned.headers["x-fake-actual-ms"]) < intended + 200
    assert float(pinned.headers["x-fake-queue-ms"]) == 0.0
    assert bad.status_code == 400 and "x-fake-itl-ms" in _error(bad)["message"]


@pytest.mark.parametrize(("fault", "status"), [("429", 429), ("500", 500), ("503", 503)])
def test_forced_error_faults(fault: str, status: int) -> None:
    response = run_in_app(
        {}, lambda c: c.post("/v1/chat/completions", json=CHAT, headers={"x-fake-fault": fault})
    )
    assert response.status_code == status
    _error(response)
    if status in (429, 503):
        assert response.headers["retry-after"] == "1"


def test_stats_count_statuses_and_metrics_render() -> None:
    async def body(client: httpx.AsyncClient) -> tuple[dict[str, Any], str]:
        await client.post("/v1/chat/completions", json=CHAT)
        await client.post("/v1/chat/completions", json=CHAT, headers={"x-fake-fault": "503"})
        await client.post("/v1/chat/completions", content=b"nope", headers=JSON_TYPE)
        await client.post("/v1/embeddings", json={"model": "e", "input": ["a", "b"], "dimensions": 4})
        stats = (await client.get("/stats")).json()
        return stats, (await client.get("/metrics")).text

    stats, metrics = run_in_app({}, body)
    assert stats["requests_total"] == 4
    assert stats["requests_by_status"] == {"200": 2, "400": 1, "503": 1}
    assert stats["server_errors_total"] == 1
    assert stats["tokens_out_total"] == 16
    assert 'fake_llm_requests_total{route="chat.completions",status="503"} 1' in metrics
    assert 'fake_llm_requests_total{route="embeddings",status="200"} 1' in metrics
    assert "fake_llm_scheduling_error_ms_count 2" in metrics
    assert 'fake_llm_scheduling_error_ms_bucket{le="+Inf"} 2' in metrics


def test_rate_limit_headers_and_429() -> None:
    async def body(client: httpx.AsyncClient) -> list[httpx.Response]:
        return [await client.post("/v1/chat/completions", json=CHAT) for _ in range(3)]

    ok, last_ok, limited = run_in_app({"rpm": "2"}, body)
    assert ok.status_code == last_ok.status_code == 200
    assert ok.headers["x-ratelimit-limit-requests"] == "2"
    assert limited.status_code == 429
    assert _error(limited)["code"] == "rate_limit_exceeded"
    assert 25 <= int(limited.headers["retry-after"]) <= 30
    assert limited.headers["x-ratelimit-remaining-requests"] == "0"
