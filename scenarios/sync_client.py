"""sync_client — a blocking SDK call inside `async def` freezes every request in the process.

Bug: the sync `OpenAI` client runs on the loop thread. Fix: a shared `AsyncOpenAI`, awaited (a `def` route
is a half-fix on anyio's 40-token threadpool). Theory: `sync_in_async` X = W / L whatever U; `sync_in_def`
X = min(U, 40·W) / L; `async_client` X = U / L. Details: docs/scenarios.md."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI

from scenarios._plumbing import Answer, Question, async_openai, new_app, sync_openai
from scenarios.model import (
    Headline,
    Prediction,
    RequestSpec,
    Scenario,
    TheoryInput,
    Variant,
    closed_loop,
    fixed_latency,
)

__all__ = ["SCENARIO", "async_client", "sync_in_async", "sync_in_def"]

UPSTREAM_LATENCY_MS = 100.0
THREADPOOL_TOKENS = 40  # anyio's default thread limiter, shared by every `def` route


def sync_in_async() -> FastAPI:
    app, llm = new_app(title="sync_client: sync_in_async", client=sync_openai)

    @app.post("/ask")
    async def ask(question: Question) -> Answer:
        reply = llm.client.chat.completions.create(**llm.prompt(question))  # blocks the event loop
        return Answer.of(reply)

    return app


def sync_in_def() -> FastAPI:
    app, llm = new_app(title="sync_client: sync_in_def", client=sync_openai)

    @app.post("/ask")
    def ask(question: Question) -> Answer:  # plain def: FastAPI runs it on a threadpool worker
        reply = llm.client.chat.completions.create(**llm.prompt(question))
        return Answer.of(reply)

    return app


def async_client() -> FastAPI:
    app, llm = new_app(title="sync_client: async_client", client=async_openai)

    @app.post("/ask")
    async def ask(question: Question) -> Answer:
        reply = await llm.client.chat.completions.create(**llm.prompt(question))  # the loop moves on
        return Answer.of(reply)

    return app


def theory(given: TheoryInput) -> Mapping[str, Prediction]:
    latency, users, workers = given.upstream_latency_ms, given.users, given.workers
    return {
        "sync_in_async": closed_loop(
            users=users,
            latency_ms=latency,
            capacity_rps=workers * 1000.0 / latency,
            note="one request at a time per process: X = W / L",
        ),
        "sync_in_def": closed_loop(
            users=users,
            latency_ms=latency,
            capacity_rps=THREADPOOL_TOKENS * workers * 1000.0 / latency,
            note="the 40-token threadpool caps in-flight calls: X = 40·W / L",
        ),
        "async_client": closed_loop(users=users, latency_ms=latency, note="Little's law: X = U / L"),
    }


SCENARIO = Scenario(
    id="sync_client",
    title="Sync SDK client in async code",
    pitfall=(
        "The blocking OpenAI client is called inside an async route. The call runs on the event-loop "
        "thread, so every other request in the process waits while one request waits for the LLM: "
        "the server does one thing at a time and throughput stays at W / L however many users come."
    ),
    fix=(
        "Use AsyncOpenAI, created once at startup, and await the call: while the LLM thinks, the loop "
        "serves other requests, and throughput follows Little's law (U / L). Moving the sync call into a "
        "plain def route only helps up to FastAPI's 40 threadpool tokens."
    ),
    signature=(
        "event-loop lag about L per request and an upstream that never sees more than one call at a time; "
        "the def-route variant plateaus at 40 / L"
    ),
    variants=(
        Variant(
            id="sync_in_async",
            title="sync client in async def",
            role="pitfall",
            factory="scenarios.sync_client:sync_in_async",
            summary="OpenAI().chat.completions.create(...) called directly in an async route.",
        ),
        Variant(
            id="async_client",
            title="AsyncOpenAI, awaited",
            role="fix",
            factory="scenarios.sync_client:async_client",
            summary="A shared AsyncOpenAI created in lifespan; the call is awaited.",
        ),
        Variant(
            id="sync_in_def",
            title="sync client in def route",
            role="reference",
            factory="scenarios.sync_client:sync_in_def",
            summary="The same sync call in a plain def route: FastAPI's threadpool (40 tokens).",
        ),
    ),
    pitfall_variant="sync_in_async",
    fix_variant="async_client",
    upstream=fixed_latency(UPSTREAM_LATENCY_MS),
    request=RequestSpec(),
    theory=theory,
    # Theory: the pitfall serves W / L = 10 req/s at any load, the fix U / L. Below (1 user: equal), at
    # the knee (10: the fix serves 100 req/s, a third of one process's SDK ceiling) and beyond it (40,
    # 100: the fix CPU-bound, the def route still below its 40-thread plateau). Read at 10 users.
    headline=Headline(
        metric="throughput_rps",
        name="req/s",
        better="higher",
        users=10,
        text="{ratio} fewer req/s",
        unit="req/s",
    ),
    loads=(1, 10, 40, 100),
    core=True,
    evidence_at_upstream=True,
)
