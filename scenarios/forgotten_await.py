"""forgotten_await — calling a coroutine function without `await` silently does nothing.

Bug: `record_answer(...)` called without `await`: the write never runs, only a RuntimeWarning at GC says
so. Fix: `await` it. Theory: same X and R for both; records written / requests is 0 vs 1 (`/app-stats`).
Details: docs/scenarios.md."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from fastapi import FastAPI

from scenarios._plumbing import Answer, Llm, Question, async_openai, new_app
from scenarios.model import (
    COMMON_SIGNALS,
    Headline,
    Prediction,
    Scenario,
    Signal,
    TheoryInput,
    Variant,
    closed_loop,
    fixed_latency,
)

__all__ = ["SCENARIO", "awaited", "missing_await", "record_answer"]

UPSTREAM_LATENCY_MS = 100.0


async def record_answer(llm: Llm[object], question: Question, answer: Answer) -> None:
    """A stand-in for an async write (a database insert, an event publish)."""
    await asyncio.sleep(0)
    llm.stats["records_written"] += 1


def missing_await() -> FastAPI:
    app, llm = new_app(title="forgotten_await: missing_await", client=async_openai)

    @app.post("/ask")
    async def ask(question: Question) -> Answer:
        answer = Answer.of(await llm.client.chat.completions.create(**llm.prompt(question)))
        llm.stats["requests"] += 1
        record_answer(llm, question, answer)  # a coroutine created and dropped: nothing is written
        return answer

    return app


def awaited() -> FastAPI:
    app, llm = new_app(title="forgotten_await: awaited", client=async_openai)

    @app.post("/ask")
    async def ask(question: Question) -> Answer:
        answer = Answer.of(await llm.client.chat.completions.create(**llm.prompt(question)))
        llm.stats["requests"] += 1
        await record_answer(llm, question, answer)
        return answer

    return app


def theory(given: TheoryInput) -> Mapping[str, Prediction]:
    latency, users = given.upstream_latency_ms, given.users
    return {
        "missing_await": closed_loop(users=users, latency_ms=latency, note="records written / requests = 0"),
        "awaited": closed_loop(users=users, latency_ms=latency, note="records written / requests = 1"),
    }


SCENARIO = Scenario(
    id="forgotten_await",
    title="A forgotten await",
    pitfall=(
        "An async write is called without await. The coroutine is created and dropped, so the write never "
        "happens; the only trace is a RuntimeWarning at garbage collection, once per call site."
    ),
    fix="Await the write (or keep a reference to a task running it) and test the side effect, not the reply.",
    signature="records written / requests: 0 vs 1 (in /app-stats); a RuntimeWarning in the app log",
    variants=(
        Variant(
            id="missing_await",
            title="coroutine never awaited",
            role="pitfall",
            factory="scenarios.forgotten_await:missing_await",
            summary="record_answer(...) is called without await.",
        ),
        Variant(
            id="awaited",
            title="awaited",
            role="fix",
            factory="scenarios.forgotten_await:awaited",
            summary="await record_answer(...).",
        ),
    ),
    pitfall_variant="missing_await",
    fix_variant="awaited",
    upstream=fixed_latency(UPSTREAM_LATENCY_MS),
    theory=theory,
    # Theory: every write is lost at any load; 10 users keep the fix well below the app's ceiling.
    headline=Headline(
        metric="app:records_written/request",
        name="records written/request",
        better="higher",
        users=10,
        text="loses {loss_pct} of writes",
        digits=2,
        min_gap=0.1,
    ),
    loads=(1, 10),
    signals=(
        *COMMON_SIGNALS,
        Signal(
            name="records written/request",
            figure="app:records_written/request",
            better="higher",
            digits=2,
            min_gap=0.1,
        ),
    ),
)
