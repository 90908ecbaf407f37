"""client_backend — the fix has a ceiling too: the HTTP client's own CPU cost per request.

Bug: a limit, not a mistake: a shared `AsyncOpenAI` on its default transport costs CPU per call. Fix: the
SDK's aiohttp transport; `raw_aiohttp` is the reference floor. Theory: X = min(U / L, W / c), with the CPU
cost c measured, not predicted. Details: docs/scenarios.md."""

from __future__ import annotations

from collections.abc import Mapping

import aiohttp
import openai
from fastapi import FastAPI

from scenarios._plumbing import UPSTREAM_TIMEOUT_S, Answer, AppConfig, Question, async_openai, new_app
from scenarios.model import Headline, Prediction, Scenario, TheoryInput, Variant, closed_loop, fixed_latency

__all__ = ["SCENARIO", "aiohttp_transport", "httpx_transport", "raw_aiohttp"]

UPSTREAM_LATENCY_MS = 100.0


def _sdk_on_aiohttp(config: AppConfig) -> openai.AsyncOpenAI:
    # DefaultAioHttpClient makes an aiohttp session: build it inside the running loop (lifespan).
    return openai.AsyncOpenAI(
        base_url=config.base_url,
        api_key=config.api_key,
        http_client=openai.DefaultAioHttpClient(),
        timeout=UPSTREAM_TIMEOUT_S,
    )


def _aiohttp_session(config: AppConfig) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        headers={"Authorization": f"Bearer {config.api_key}"},
        timeout=aiohttp.ClientTimeout(total=UPSTREAM_TIMEOUT_S),
    )


def httpx_transport() -> FastAPI:
    app, llm = new_app(title="client_backend: httpx_transport", client=async_openai)

    @app.post("/ask")
    async def ask(question: Question) -> Answer:
        reply = await llm.client.chat.completions.create(**llm.prompt(question))
        return Answer.of(reply)

    return app


def aiohttp_transport() -> FastAPI:
    app, llm = new_app(title="client_backend: aiohttp_transport", client=_sdk_on_aiohttp)

    @app.post("/ask")
    async def ask(question: Question) -> Answer:
        reply = await llm.client.chat.completions.create(**llm.prompt(question))
        return Answer.of(reply)

    return app


def raw_aiohttp() -> FastAPI:
    app, llm = new_app(title="client_backend: raw_aiohttp", client=_aiohttp_session)
    url = f"{llm.config.base_url.rstrip('/')}/chat/completions"

    @app.post("/ask")
    async def ask(question: Question) -> Answer:
        async with llm.client.post(url, json=llm.prompt(question)) as response:
            response.raise_for_status()
            body = await response.json()
        return Answer(answer=body["choices"][0]["message"]["content"] or "")

    return app


def theory(given: TheoryInput) -> Mapping[str, Prediction]:
    latency, users = given.upstream_latency_ms, given.users
    note = "Little's bound U / L; the measured gap below it is the client's CPU cost"
    bound = closed_loop(users=users, latency_ms=latency, note=note)
    return {"httpx_transport": bound, "aiohttp_transport": bound, "raw_aiohttp": bound}


SCENARIO = Scenario(
    id="client_backend",
    title="The HTTP client's CPU ceiling",
    pitfall=(
        "Even a correctly shared AsyncOpenAI has a CPU ceiling. On its default transport each request "
        "costs enough CPU in the HTTP stack that one process saturates a core far below U / L."
    ),
    fix=(
        "Keep the shared client and give it the SDK's aiohttp transport (DefaultAioHttpClient): less CPU "
        "per call, a higher ceiling. A raw aiohttp session shows the floor without the SDK."
    ),
    signature="app CPU-ms per request and the maximum throughput at high concurrency",
    variants=(
        Variant(
            id="httpx_transport",
            title="AsyncOpenAI (default transport)",
            role="pitfall",
            factory="scenarios.client_backend:httpx_transport",
            summary="A shared AsyncOpenAI on its default httpx-style transport.",
        ),
        Variant(
            id="aiohttp_transport",
            title="AsyncOpenAI + aiohttp",
            role="fix",
            factory="scenarios.client_backend:aiohttp_transport",
            summary="The same client with http_client=DefaultAioHttpClient().",
        ),
        Variant(
            id="raw_aiohttp",
            title="raw aiohttp session",
            role="reference",
            factory="scenarios.client_backend:raw_aiohttp",
            summary="A shared aiohttp.ClientSession posting the JSON request itself (no SDK).",
        ),
    ),
    pitfall_variant="httpx_transport",
    fix_variant="aiohttp_transport",
    upstream=fixed_latency(UPSTREAM_LATENCY_MS),
    theory=theory,
    # Theory: X = min(U / L, 1 / c): the pitfall is the transport's CPU cost c per request. Throughput only
    # shows it when the app is the one process short of CPU, which on 2 cores shared with Locust and
    # fake_llm it rarely is alone; c itself is what differs. Read at 100 users, where the per-request
    # figure is not diluted by idle time (the probe's timer, the loop's own wake-ups).
    headline=Headline(
        metric="cpu_ms_per_request",
        name="app CPU per request",
        better="lower",
        users=100,
        text="{ratio} more CPU per request",
        unit="ms",
        digits=2,
    ),
    loads=(10, 100),
    evidence_at_upstream=True,
)
