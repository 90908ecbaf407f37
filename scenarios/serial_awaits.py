"""serial_awaits — independent upstream calls awaited one after another.

Bug: three independent calls awaited in sequence. Fix: `asyncio.gather` (or a `TaskGroup`). Theory:
`serial` R = 3·L; `gather`/`task_group` R = max of three draws ≈ L; X = U / R for all three. Details, and
why L is 500 ms: docs/scenarios.md."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from fastapi import FastAPI

from scenarios._plumbing import Answer, Question, async_openai, new_app
from scenarios.model import Headline, Prediction, Scenario, TheoryInput, Variant, closed_loop, fixed_latency

__all__ = ["PARTS", "SCENARIO", "gather", "serial", "task_group"]

UPSTREAM_LATENCY_MS = 500.0
PARTS = ("Summarise", "List keywords of", "Give the sentiment of")


def serial() -> FastAPI:
    app, llm = new_app(title="serial_awaits: serial", client=async_openai)

    @app.post("/ask")
    async def ask(question: Question) -> Answer:
        replies = [await llm.client.chat.completions.create(**p) for p in llm.prompts(question, PARTS)]
        return Answer.of(*replies)

    return app


def gather() -> FastAPI:
    app, llm = new_app(title="serial_awaits: gather", client=async_openai)

    @app.post("/ask")
    async def ask(question: Question) -> Answer:
        replies = await asyncio.gather(
            *(llm.client.chat.completions.create(**p) for p in llm.prompts(question, PARTS))
        )
        return Answer.of(*replies)

    return app


def task_group() -> FastAPI:
    app, llm = new_app(title="serial_awaits: task_group", client=async_openai)

    @app.post("/ask")
    async def ask(question: Question) -> Answer:
        async with asyncio.TaskGroup() as tg:  # a failure cancels the siblings
            tasks = [
                tg.create_task(llm.client.chat.completions.create(**p)) for p in llm.prompts(question, PARTS)
            ]
        return Answer.of(*(t.result() for t in tasks))

    return app


def theory(given: TheoryInput) -> Mapping[str, Prediction]:
    latency, users = given.upstream_latency_ms, given.users
    calls = len(PARTS)
    concurrent = closed_loop(users=users, latency_ms=latency, note="R = max of the calls ≈ L")
    return {
        "serial": closed_loop(users=users, latency_ms=calls * latency, note=f"R = sum of {calls} calls"),
        "gather": concurrent,
        "task_group": concurrent,
    }


SCENARIO = Scenario(
    id="serial_awaits",
    title="Independent calls awaited in sequence",
    pitfall=(
        "Three independent LLM calls are awaited one after the other. Nothing blocks, the loop stays "
        "healthy, yet every user waits for the sum of the three latencies."
    ),
    fix=(
        "Run independent calls concurrently with asyncio.gather or an asyncio.TaskGroup (which cancels the "
        "siblings when one fails): the user waits for the slowest call, not for all of them in a row."
    ),
    signature="per-request latency ratio serial / gather ~3; the upstream sees the three calls overlap",
    variants=(
        Variant(
            id="serial",
            title="awaited one by one",
            role="pitfall",
            factory="scenarios.serial_awaits:serial",
            summary="Three awaits in a row.",
        ),
        Variant(
            id="gather",
            title="asyncio.gather",
            role="fix",
            factory="scenarios.serial_awaits:gather",
            summary="The three calls started together with asyncio.gather.",
        ),
        Variant(
            id="task_group",
            title="asyncio.TaskGroup",
            role="reference",
            factory="scenarios.serial_awaits:task_group",
            summary="The three calls as tasks of an asyncio.TaskGroup (structured concurrency).",
        ),
    ),
    pitfall_variant="serial",
    fix_variant="gather",
    upstream=fixed_latency(UPSTREAM_LATENCY_MS),
    theory=theory,
    # Theory: R = 3·L = 1.5 s vs ~L = 0.5 s at every load until gather's 3 calls per request hit the
    # app's CPU (U / L · 3 calls ~ 600 calls/s at 100 users). 10 users is the fewest that still gives
    # ten answers of `serial` per 3 s window. Read the user's wait (p50) at 10 users.
    headline=Headline(
        metric="latency_p50_ms",
        name="p50 latency",
        better="lower",
        users=10,
        text="users wait {ratio} longer (p50)",
        unit="ms",
        digits=0,
    ),
    loads=(10, 20, 50, 100),
    core=True,
    evidence_at_upstream=True,
)
