"""Azure OpenAI's routes in-process (httpx's ASGI transport): which paths match, what a request must carry
(api-version on dated routes, a credential), errors in Azure's shape, the deployment as the model, and the
same engine underneath (pins, faults, limits, stats) as OpenAI's routes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from fake_llm.azure import azure_route
from tests.fake_llm.in_process import run_in_app

VERSION = "?api-version=2024-10-21"
CHAT_PATH = "/openai/deployments/my-gpt/chat/completions" + VERSION
CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
KEY = {"api-key": "any"}


def _azure_error(response: httpx.Response) -> dict[str, str]:
    """Azure's error document: exactly `{"error": {"code", "message"}}`, the code a string."""
    document = response.json()
    assert set(document) == {"error"} and set(document["error"]) == {"code", "message"}, document
    assert isinstance(document["error"]["code"], str)
    error: dict[str, str] = document["error"]
    return error


@pytest.mark.parametrize(
    ("path", "route"),
    [
        ("/openai/deployments/d/chat/completions", "azure.chat.completions"),
        ("/openai/deployments/gpt-4o-mini/embeddings", "azure.embeddings"),
        ("/openai/responses", "azure.responses"),
        ("/openai/v1/chat/completions", "azure.chat.completions"),
        ("/openai/v1/embeddings", "azure.embeddings"),
        ("/openai/v1/responses", "azure.responses"),
        ("/openai/deployments//chat/completions", None),  # no deployment name
        ("/openai/deployments/d/completions", "azure.completions"),  # the legacy Completions API
        ("/openai/v1/completions", "azure.completions"),
        ("/openai/deployments/d/chat/completions/x", None),
        ("/openai/deployments/d/responses", None),  # the SDK sends responses to /openai/responses
        ("/openai/chat/completions", None),
        ("/v1/chat/completions", None),  # OpenAI's own route, matched before these
    ],
)
def test_route_table(path: str, route: str | None) -> None:
    assert azure_route(path) == route


def test_the_deployment_is_the_model_on_every_deployment_route() -> None:
    async def body(client: httpx.AsyncClient) -> list[httpx.Response]:
        return [
            await client.post(CHAT_PATH, json=CHAT, headers=KEY),
            await client.post(
                "/openai/deployments/emb-small/embeddings" + VERSION,
                json={"model": "text-embedding-3-small", "input": "x", "dimensions": 4},
                headers=KEY,
            ),
            # Routes without a deployment in the URL take the model from the body.
            await client.post(
                "/openai/responses" + VERSION, json={"model": "resp", "input": "x"}, headers=KEY
            ),
            await client.post("/openai/v1/chat/completions", json={**CHAT, "model": "v1-dep"}, headers=KEY),
        ]

    chat, embeddings, responses, v1 = run_in_app({}, body)
    assert [r.status_code for r in (chat, embeddings, responses, v1)] == [200] * 4
    assert chat.json()["model"] == "my-gpt" and chat.json()["object"] == "chat.completion"
    assert embeddings.json()["model"] == "emb-small" and len(embeddings.json()["data"][0]["embedding"]) == 4
    assert responses.json()["model"] == "resp" and responses.json()["object"] == "response"
    assert v1.json()["model"] == "v1-dep"
    assert chat.headers["x-request-id"].startswith("req_fake")


def test_a_dated_route_without_api_version_is_azures_404() -> None:
    async def body(client: httpx.AsyncClient) -> list[httpx.Response]:
        bare = "/openai/deployments/my-gpt/chat/completions"
        return [
            await client.post(bare, json=CHAT, headers=KEY),
            await client.post(bare + "?api-version=", json=CHAT, headers=KEY),
            await client.post("/openai/responses", json={"model": "m", "input": "x"}, headers=KEY),
            await client.post("/openai/v1/chat/completions", json=CHAT, headers=KEY),  # v1 needs none
        ]

    *missing, v1 = run_in_app({}, body)
    for response in missing:
        assert response.status_code == 404
        error = _azure_error(response)
        assert error["code"] == "404" and error["message"].startswith("Resource not found")
        assert "api-version" in error["message"]  # fake_llm says what was missing
    assert v1.status_code == 200


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"api-key": "k"}, 200),
        ({"Authorization": "Bearer eyJ0eXAi"}, 200),
        ({"authorization": "bearer t"}, 200),
        ({}, 401),
        ({"api-key": " "}, 401),
        ({"Authorization": "Bearer "}, 401),
        ({"Authorization": "Basic dXNlcjpwdw=="}, 401),
    ],
)
def test_a_credential_is_required_any_value_is_accepted(headers: dict[str, str], status: int) -> None:
    response = run_in_app({}, lambda c: c.post(CHAT_PATH, json=CHAT, headers=headers))
    assert response.status_code == status
    if status == 401:
        error = _azure_error(response)
        assert error["code"] == "401" and "api-key" in error["message"]


JSON_TYPE = {"content-type": "application/json"}  # without it, a body is a 415 (fake_llm's admission rules)


def test_bad_bodies_unknown_paths_and_methods_answer_in_azures_shape() -> None:
    async def body(client: httpx.AsyncClient) -> list[httpx.Response]:
        return [
            await client.post(CHAT_PATH, json={"model": "m", "messages": []}, headers=KEY),
            await client.post(CHAT_PATH, content=b"{not json", headers={**KEY, **JSON_TYPE}),
            await client.post("/openai/deployments/d/nothing" + VERSION, json=CHAT, headers=KEY),
            await client.get(CHAT_PATH, headers=KEY),
        ]

    empty, garbled, unknown, wrong_method = run_in_app({}, body)
    assert empty.status_code == 400 and _azure_error(empty)["code"] == "BadRequest"
    assert "'messages'" in _azure_error(empty)["message"]  # names the field, as on OpenAI's routes
    assert garbled.status_code == 400 and _azure_error(garbled)["code"] == "invalid_json"
    assert unknown.status_code == 404 and _azure_error(unknown) == {
        "code": "404",
        "message": "Resource not found",
    }
    assert wrong_method.status_code == 405 and wrong_method.headers["allow"] == "POST"
    _azure_error(wrong_method)


def test_models_list_checks_the_deployment() -> None:
    async def body(client: httpx.AsyncClient) -> tuple[httpx.Response, httpx.Response]:
        known = await client.post(CHAT_PATH, json={**CHAT, "model": "not-listed"}, headers=KEY)
        unknown = await client.post(
            "/openai/deployments/other/chat/completions" + VERSION,
            json={**CHAT, "model": "my-gpt"},
            headers=KEY,
        )
        return known, unknown

    known, unknown = run_in_app({"models": "my-gpt"}, body)
    assert known.status_code == 200  # the path's deployment is the model, whatever the body says
    assert unknown.status_code == 404 and _azure_error(unknown)["code"] == "DeploymentNotFound"


@pytest.mark.parametrize(
    ("fault", "code"), [("429", "429"), ("500", "InternalServerError"), ("503", "ServiceUnavailable")]
)
def test_injected_faults(fault: str, code: str) -> None:
    response = run_in_app({}, lambda c: c.post(CHAT_PATH, json=CHAT, headers={**KEY, "x-fake-fault": fault}))
    assert response.status_code == int(fault)
    assert _azure_error(response)["code"] == code
    if fault == "429":
        assert response.headers["retry-after"] == "1" and response.headers["retry-after-ms"] == "1000"
        assert response.headers["x-ratelimit-remaining-requests"] == "0"


def test_rate_limits_use_azures_headers() -> None:
    async def body(client: httpx.AsyncClient) -> list[httpx.Response]:
        return [await client.post(CHAT_PATH, json=CHAT, headers=KEY) for _ in range(3)]

    ok, _, limited = run_in_app({"rpm": "2"}, body)
    assert ok.headers["x-ratelimit-limit-requests"] == "2"
    assert ok.headers["x-ratelimit-remaining-requests"] == "1"
    assert "x-ratelimit-reset-requests" not in ok.headers  # Azure sends none: retry-after says when
    assert limited.status_code == 429 and _azure_error(limited)["code"] == "429"
    assert 25 <= int(limited.headers["retry-after"]) <= 30
    assert 25_000 <= int(limited.headers["retry-after-ms"]) <= 30_000


def test_same_engine_pins_text_and_stats() -> None:
    async def body(client: httpx.AsyncClient) -> tuple[httpx.Response, httpx.Response, dict[str, Any], str]:
        pinned = {"x-fake-output-tokens": "3", "x-fake-ttft-ms": "30"}
        azure = await client.post(CHAT_PATH, json=CHAT, headers={**KEY, **pinned})
        openai = await client.post("/v1/chat/completions", json=CHAT, headers=pinned)
        await client.post(CHAT_PATH, json=CHAT)  # 401
        return azure, openai, (await client.get("/stats")).json(), (await client.get("/metrics")).text

    azure, openai, stats, metrics = run_in_app({}, body)
    assert azure.json()["usage"]["completion_tokens"] == 3
    assert azure.json()["choices"] == openai.json()["choices"]  # same prompt, same text
    assert float(azure.headers["x-fake-intended-ms"]) == pytest.approx(30.0, abs=0.5)
    assert stats["requests_by_status"] == {"200": 2, "401": 1}
    assert stats["tokens_out_total"] == 6
    assert 'fake_llm_requests_total{route="azure.chat.completions",status="200"} 1' in metrics
    assert 'fake_llm_requests_total{route="azure.chat.completions",status="401"} 1' in metrics


def test_azure_routes_share_the_admission_rules_and_limits() -> None:
    """Issue 15's guards cover Azure's routes too, each refusal in Azure's shape: a body that is not JSON
    (415), a page's origin (403), a body over the cap (413, while reading), output tokens over the limit
    (400)."""
    big = b'{"model": "m", "messages": [{"role": "user", "content": "' + b"x" * 4096 + b'"}]}'

    async def body(client: httpx.AsyncClient) -> list[httpx.Response]:
        return [
            await client.post(CHAT_PATH, content=b"{}", headers={**KEY, "content-type": "text/plain"}),
            await client.post(CHAT_PATH, json=CHAT, headers={**KEY, "origin": "https://evil.example"}),
            await client.post(CHAT_PATH, content=big, headers={**KEY, **JSON_TYPE}),
            await client.post(CHAT_PATH, json={**CHAT, "max_tokens": 10**6}, headers=KEY),
        ]

    media, origin, too_large, too_many = run_in_app({"max_body_bytes": 1024}, body)
    for response, status in ((media, 415), (origin, 403), (too_large, 413), (too_many, 400)):
        assert response.status_code == status, (status, response.text[:200])
        _azure_error(response)
    assert "max_tokens" in _azure_error(too_many)["message"] + str(_azure_error(too_many))
