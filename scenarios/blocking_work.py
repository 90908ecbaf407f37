"""blocking_work — blocking I/O (a sync file read, a sync PDF parser) inside `async def`.

Bug: a blocking parse of t_block on the loop thread. Fix: `await asyncio.to_thread(parse, ...)`. Theory:
`inline` X = min(U / (t + L), W / t); `to_thread` X = min(U / (t + L), 40·W / t); `def_route` X = min(U /
(t + L), 40·W / (t + L)). Details: docs/scenarios.md."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import FastAPI

from scenarios._plumbing import Answer, Question, async_openai, env_float, new_app, sync_openai
from scenarios.model import Headline, Prediction, Scenario, TheoryInput, Variant, closed_loop, fixed_latency

__all__ = ["SCENARIO", "BlockingConfig", "def_route", "inline", "parse_document", "to_thread"]

UPSTREAM_LATENCY_MS = 100.0
THREADPOOL_TOKENS = 40


@dataclass(frozen=True, kw_only=True)
class BlockingConfig:
    """`block_ms`: how long the sync parse blocks its thread (AWAITBENCH_BLOCK_MS)."""

    block_ms: float = 50.0

    @classmethod
    def from_env(cls) -> BlockingConfig:
        return cls(block_ms=env_float("AWAITBENCH_BLOCK_MS", default=cls.block_ms))


def parse_document(text: str, block_ms: float) -> str:
    """A stand-in for a synchronous parser or file read: it blocks its thread without using the CPU."""
    time.sleep(block_ms / 1000.0)
    return f"Answer from the parsed document: {text}"


def inline() -> FastAPI:
    app, llm = new_app(title="blocking_work: inline", client=async_openai)
    knobs = BlockingConfig.from_env()

    @app.post("/ask")
    async def ask(question: Question) -> Answer:
        prompt = parse_document(question.question, knobs.block_ms)  # blocks the event loop
        reply = await llm.client.chat.completions.create(**llm.prompt(prompt))
        return Answer.of(reply)

    return app


def to_thread() -> FastAPI:
    app, llm = new_app(title="blocking_work: to_thread", client=async_openai)
    knobs = BlockingConfig.from_env()

    @app.post("/ask")
    async def ask(question: Question) -> Answer:
        prompt = await asyncio.to_thread(parse_document, question.question, knobs.block_ms)
        reply = await llm.client.chat.completions.create(**llm.prompt(prompt))
        return Answer.of(reply)

    return app


def def_route() -> FastAPI:
    app, llm = new_app(title="blocking_work: def_route", client=sync_openai)
    knobs = BlockingConfig.from_env()

    @app.post("/ask")
    def ask(question: Question) -> Answer:  # the whole request runs on a threadpool worker
        prompt = parse_document(question.question, knobs.block_ms)
        reply = llm.client.chat.completions.create(**llm.prompt(prompt))
        return Answer.of(reply)

    return app


def theory(given: TheoryInput) -> Mapping[str, Prediction]:
    block = BlockingConfig().block_ms
    latency, users, workers = given.upstream_latency_ms, given.users, given.workers
    unloaded = block + latency
    return {
        "inline": closed_loop(
            users=users,
            latency_ms=unloaded,
            capacity_rps=workers * 1000.0 / block,
            note="the loop is blocked t per request: X <= W / t",
        ),
        "to_thread": closed_loop(
            users=users,
            latency_ms=unloaded,
            capacity_rps=THREADPOOL_TOKENS * workers * 1000.0 / block,
            note="blocking moved to 40 threads: X <= 40·W / t",
        ),
        "def_route": closed_loop(
            users=users,
            latency_ms=unloaded,
            capacity_rps=THREADPOOL_TOKENS * workers * 1000.0 / unloaded,
            note="each request holds a thread for t + L: X <= 40·W / (t + L)",
        ),
    }


SCENARIO = Scenario(
    id="blocking_work",
    title="Blocking I/O on the event loop",
    pitfall=(
        "A blocking parse runs inside an async route (a sync file read, PDF library or SDK). "
        "It blocks the event-loop thread, so no other request in the process progresses meanwhile: "
        "throughput is capped at W / t_block whatever the upstream does."
    ),
    fix=(
        "Run the blocking call with await asyncio.to_thread(...): the loop keeps serving while a worker "
        "thread waits. This works for I/O-like blocking that releases the GIL; CPU-bound Python needs "
        "processes (see cpu_work)."
    ),
    signature="event-loop lag ~ t_block per request; throughput flat at W / t_block for inline",
    variants=(
        Variant(
            id="inline",
            title="sync parse in async def",
            role="pitfall",
            factory="scenarios.blocking_work:inline",
            summary="The blocking parse is called directly in the async route.",
        ),
        Variant(
            id="to_thread",
            title="asyncio.to_thread",
            role="fix",
            factory="scenarios.blocking_work:to_thread",
            summary="The parse is awaited through asyncio.to_thread.",
        ),
        Variant(
            id="def_route",
            title="plain def route",
            role="reference",
            factory="scenarios.blocking_work:def_route",
            summary="A def route with the sync client: the whole request on the 40-token threadpool.",
        ),
    ),
    pitfall_variant="inline",
    fix_variant="to_thread",
    upstream=fixed_latency(UPSTREAM_LATENCY_MS),
    theory=theory,
    # Theory: inline is capped at 1 / t = 20 req/s from U ~ (t + L) / t = 3 users; to_thread serves
    # U / (t + L): 67 req/s at 10 users (below the app's ceiling), 200 at 30. Read at 10 users.
    headline=Headline(
        metric="throughput_rps",
        name="req/s",
        better="higher",
        users=10,
        text="{ratio} fewer req/s",
        unit="req/s",
    ),
    loads=(1, 3, 10, 30),
    core=True,
)
