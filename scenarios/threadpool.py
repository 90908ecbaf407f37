"""threadpool — `def` routes share a hidden 40-token limiter: requests queue while the loop looks idle.

Bug: slow sync I/O in `def` routes, 40 anyio tokens per process. Fix: raise the limiter at startup, or an
async route. Theory: `default_limiter` X = min(U, 40·W) / L with zero loop lag; `raised_limiter` X = min(U,
T·W) / L; `async_route` X = U / L. Details, and why L is 500 ms: docs/scenarios.md."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import anyio.to_thread
from fastapi import FastAPI

from scenarios._plumbing import Answer, Question, async_openai, env_int, new_app, sync_openai
from scenarios.model import Headline, Prediction, Scenario, TheoryInput, Variant, closed_loop, fixed_latency

__all__ = ["SCENARIO", "ThreadpoolConfig", "async_route", "default_limiter", "raised_limiter"]

UPSTREAM_LATENCY_MS = 500.0
DEFAULT_TOKENS = 40


@dataclass(frozen=True, kw_only=True)
class ThreadpoolConfig:
    """`tokens`: the raised thread limiter size (AWAITBENCH_THREADPOOL_TOKENS)."""

    tokens: int = 200

    @classmethod
    def from_env(cls) -> ThreadpoolConfig:
        return cls(tokens=env_int("AWAITBENCH_THREADPOOL_TOKENS", default=cls.tokens, minimum=1))


def default_limiter() -> FastAPI:
    app, llm = new_app(title="threadpool: default_limiter", client=sync_openai)

    @app.post("/ask")
    def ask(question: Question) -> Answer:  # one of 40 threadpool tokens per request
        reply = llm.client.chat.completions.create(**llm.prompt(question))
        return Answer.of(reply)

    return app


def raised_limiter() -> FastAPI:
    knobs = ThreadpoolConfig.from_env()

    def raise_limit() -> None:  # the limiter belongs to the running loop: resize it at startup
        anyio.to_thread.current_default_thread_limiter().total_tokens = knobs.tokens

    app, llm = new_app(title="threadpool: raised_limiter", client=sync_openai, on_startup=raise_limit)

    @app.post("/ask")
    def ask(question: Question) -> Answer:
        reply = llm.client.chat.completions.create(**llm.prompt(question))
        return Answer.of(reply)

    return app


def async_route() -> FastAPI:
    app, llm = new_app(title="threadpool: async_route", client=async_openai)

    @app.post("/ask")
    async def ask(question: Question) -> Answer:
        reply = await llm.client.chat.completions.create(**llm.prompt(question))
        return Answer.of(reply)

    return app


def theory(given: TheoryInput) -> Mapping[str, Prediction]:
    latency, users, workers = given.upstream_latency_ms, given.users, given.workers
    tokens = ThreadpoolConfig().tokens

    def threads(n: int, note: str) -> Prediction:
        return closed_loop(
            users=users, latency_ms=latency, capacity_rps=n * workers * 1000.0 / latency, note=note
        )

    return {
        "default_limiter": threads(DEFAULT_TOKENS, "40 tokens per process: X = 40·W / L, no loop lag"),
        "raised_limiter": threads(tokens, f"{tokens} tokens per process: X = {tokens}·W / L"),
        "async_route": closed_loop(users=users, latency_ms=latency, note="no threads: X = U / L"),
    }


SCENARIO = Scenario(
    id="threadpool",
    title="The hidden 40-thread limit",
    pitfall=(
        "Plain def routes share a hidden limit of 40 threads. Doing slow sync I/O, they run on anyio's "
        "default thread limiter, 40 tokens per process; beyond 40 concurrent requests the rest queue "
        "for a token while the event loop shows no lag and the CPU is idle."
    ),
    fix=(
        "Size the limiter for the expected concurrency at startup (total_tokens), or make the route async "
        "with an async client so no thread is needed at all."
    ),
    signature="throughput plateau at 40 / L with zero loop lag; threadpool occupancy pinned at 40",
    variants=(
        Variant(
            id="default_limiter",
            title="def route, 40 tokens",
            role="pitfall",
            factory="scenarios.threadpool:default_limiter",
            summary="A def route with the sync client on the default 40-token limiter.",
        ),
        Variant(
            id="raised_limiter",
            title="def route, 200 tokens",
            role="fix",
            factory="scenarios.threadpool:raised_limiter",
            summary="The same route; the limiter is raised to 200 tokens at startup.",
        ),
        Variant(
            id="async_route",
            title="async route",
            role="reference",
            factory="scenarios.threadpool:async_route",
            summary="An async route with AsyncOpenAI: no thread per request.",
        ),
    ),
    pitfall_variant="default_limiter",
    fix_variant="raised_limiter",
    upstream=fixed_latency(UPSTREAM_LATENCY_MS),
    theory=theory,
    # Theory: both variants serve U / L below 40 users (20: no difference); beyond, the default limiter
    # plateaus at 40 / L = 80 req/s while the raised one serves U / L = 200 req/s at 100 users, which
    # one process still manages. Read at 100 users.
    headline=Headline(
        metric="throughput_rps",
        name="req/s",
        better="higher",
        users=100,
        text="{ratio} fewer req/s",
        unit="req/s",
    ),
    loads=(20, 100),
)
