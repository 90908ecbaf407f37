"""per_request_client — building the client inside the handler pays set-up and a new connection per call.

Bug: `AsyncOpenAI()` per request (SSL context, CA bundle, a new pool and handshake; never closed). Fix: one
client from `lifespan`, shared, closed on shutdown. Theory: with construction cost c on the loop,
`client_per_request` X = min(U / (L + c), W / c); `shared_client` X = U / L. Details: docs/scenarios.md."""

from __future__ import annotations

import functools
import statistics
import time
from collections.abc import Mapping

import httpx
import openai
from fastapi import FastAPI

from scenarios._plumbing import Answer, Question, async_openai, new_app
from scenarios.model import Headline, Prediction, Scenario, TheoryInput, Variant, closed_loop, fixed_latency

__all__ = ["SCENARIO", "client_per_request", "construction_ms", "httpx_per_request", "shared_client"]

UPSTREAM_LATENCY_MS = 100.0


@functools.cache
def construction_ms() -> float:
    """What building one client costs on this machine, measured once (median of 3), not assumed.

    Public reports put it anywhere from a few ms to ~100 ms (httpx #2298, #3627): it is mostly the SSL
    context and the CA bundle read, so it depends on the machine and its load.
    """
    samples = []
    for _ in range(3):
        start = time.perf_counter()
        openai.AsyncOpenAI(base_url="http://127.0.0.1:9/v1", api_key="construction-probe")
        samples.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(samples)


def client_per_request() -> FastAPI:
    app, llm = new_app(title="per_request_client: client_per_request")

    @app.post("/ask")
    async def ask(question: Question) -> Answer:
        client = async_openai(llm.config)  # new SSL context, new pool, new connection; never closed
        reply = await client.chat.completions.create(**llm.prompt(question))
        return Answer.of(reply)

    return app


def httpx_per_request() -> FastAPI:
    app, llm = new_app(title="per_request_client: httpx_per_request")
    url = f"{llm.config.base_url.rstrip('/')}/chat/completions"
    auth = {"Authorization": f"Bearer {llm.config.api_key}"}

    @app.post("/ask")
    async def ask(question: Question) -> Answer:
        async with httpx.AsyncClient() as client:  # closed properly, yet built (SSL, CA bundle) per call
            response = await client.post(url, json=llm.prompt(question), headers=auth)
        response.raise_for_status()
        return Answer(answer=response.json()["choices"][0]["message"]["content"] or "")

    return app


def shared_client() -> FastAPI:
    app, llm = new_app(title="per_request_client: shared_client", client=async_openai)

    @app.post("/ask")
    async def ask(question: Question) -> Answer:
        client = llm.client  # built once in lifespan, keep-alive pool reused, closed on shutdown
        reply = await client.chat.completions.create(**llm.prompt(question))
        return Answer.of(reply)

    return app


def theory(given: TheoryInput) -> Mapping[str, Prediction]:
    latency, users, workers = given.upstream_latency_ms, given.users, given.workers
    build_ms = construction_ms()
    return {
        "client_per_request": closed_loop(
            users=users,
            latency_ms=latency + build_ms,
            capacity_rps=workers * 1000.0 / build_ms,
            note=f"building a client (~{build_ms:.0f} ms here, measured) blocks the loop on every request",
        ),
        "httpx_per_request": closed_loop(
            users=users,
            latency_ms=latency + build_ms,
            capacity_rps=workers * 1000.0 / build_ms,
            note="closing the client does not remove its construction cost",
        ),
        "shared_client": closed_loop(users=users, latency_ms=latency, note="Little's law: X = U / L"),
    }


SCENARIO = Scenario(
    id="per_request_client",
    title="A new client per request",
    pitfall=(
        "The SDK client is constructed inside the request handler. Every construction builds an SSL "
        "context and reads the CA bundle on the event-loop thread, and every new client opens a new "
        "connection pool, so each call pays a fresh TCP/TLS handshake; unclosed clients leave sockets "
        "behind until garbage collection."
    ),
    fix=(
        "Create one AsyncOpenAI in the app's lifespan, share it across requests and close it on shutdown: "
        "its keep-alive pool reuses connections, construction happens once."
    ),
    signature="upstream connections_opened / requests ~1.0 vs ~0; more app CPU-ms per request; open fds",
    variants=(
        Variant(
            id="client_per_request",
            title="AsyncOpenAI() per request",
            role="pitfall",
            factory="scenarios.per_request_client:client_per_request",
            summary="A new AsyncOpenAI is built in the handler for every call and never closed.",
        ),
        Variant(
            id="shared_client",
            title="shared client (lifespan)",
            role="fix",
            factory="scenarios.per_request_client:shared_client",
            summary="One AsyncOpenAI built in lifespan, shared, closed on shutdown.",
        ),
        Variant(
            id="httpx_per_request",
            title="httpx.AsyncClient() per request",
            role="reference",
            factory="scenarios.per_request_client:httpx_per_request",
            summary="A raw httpx client per call, closed with async with: no leak, same set-up cost.",
        ),
    ),
    pitfall_variant="client_per_request",
    fix_variant="shared_client",
    upstream=fixed_latency(UPSTREAM_LATENCY_MS),
    theory=theory,
    # Theory: the pitfall's client construction c (~30 ms) on the loop caps it at 1 / c ~ 30 req/s; the
    # knee is at U ~ (L + c) / c ~ 4 users. The fix serves U / L: 100 req/s at 10 users (well below the
    # ceiling), CPU-bound at 40. Read at 10 users.
    headline=Headline(
        metric="throughput_rps",
        name="req/s",
        better="higher",
        users=10,
        text="{ratio} fewer req/s",
        unit="req/s",
    ),
    loads=(1, 4, 10, 40),
    core=True,
    evidence_at_upstream=True,
)
