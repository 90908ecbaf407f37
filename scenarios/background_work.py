"""background_work — the user waits for work that could run after the response.

Bug: the route awaits an audit write (a) before returning. Fix: FastAPI's `BackgroundTasks`. Theory:
`inline` R = L + a, `background_tasks` R = L, X = U / R; `/app-stats` counts the writes of both. Details:
docs/scenarios.md."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import BackgroundTasks, FastAPI

from scenarios._plumbing import Answer, Llm, Question, async_openai, env_float, new_app
from scenarios.model import Headline, Prediction, Scenario, TheoryInput, Variant, closed_loop, fixed_latency

__all__ = ["SCENARIO", "AuditConfig", "background_tasks", "inline", "write_audit"]

UPSTREAM_LATENCY_MS = 100.0


@dataclass(frozen=True, kw_only=True)
class AuditConfig:
    """`audit_ms`: how long one audit write takes (AWAITBENCH_AUDIT_MS)."""

    audit_ms: float = 50.0

    @classmethod
    def from_env(cls) -> AuditConfig:
        return cls(audit_ms=env_float("AWAITBENCH_AUDIT_MS", default=cls.audit_ms))


async def write_audit(llm: Llm[object], question: Question, answer: Answer, audit_ms: float) -> None:
    """A stand-in for a write to a slow audit store."""
    await asyncio.sleep(audit_ms / 1000.0)
    llm.stats["audit_writes"] += 1


def inline() -> FastAPI:
    app, llm = new_app(title="background_work: inline", client=async_openai)
    knobs = AuditConfig.from_env()

    @app.post("/ask")
    async def ask(question: Question) -> Answer:
        answer = Answer.of(await llm.client.chat.completions.create(**llm.prompt(question)))
        await write_audit(llm, question, answer, knobs.audit_ms)  # the user waits for the write
        return answer

    return app


def background_tasks() -> FastAPI:
    app, llm = new_app(title="background_work: background_tasks", client=async_openai)
    knobs = AuditConfig.from_env()

    @app.post("/ask")
    async def ask(question: Question, background: BackgroundTasks) -> Answer:
        answer = Answer.of(await llm.client.chat.completions.create(**llm.prompt(question)))
        background.add_task(write_audit, llm, question, answer, knobs.audit_ms)  # after the response
        return answer

    return app


def theory(given: TheoryInput) -> Mapping[str, Prediction]:
    latency, users = given.upstream_latency_ms, given.users
    audit = AuditConfig().audit_ms
    return {
        "inline": closed_loop(users=users, latency_ms=latency + audit, note="R = L + audit write"),
        "background_tasks": closed_loop(users=users, latency_ms=latency, note="R = L; the write follows"),
    }


SCENARIO = Scenario(
    id="background_work",
    title="Post-response work done inline",
    pitfall=(
        "The route awaits an audit write after the LLM has answered and before returning. The user gains "
        "nothing from it but waits for it on every request."
    ),
    fix=(
        "Schedule the write with FastAPI's BackgroundTasks: it runs right after the response is sent, so "
        "the user's latency is the LLM call alone and the write still happens."
    ),
    signature="p50 latency difference equals the audit write time; audit writes = requests in both",
    variants=(
        Variant(
            id="inline",
            title="awaited before returning",
            role="pitfall",
            factory="scenarios.background_work:inline",
            summary="The audit write is awaited inside the request.",
        ),
        Variant(
            id="background_tasks",
            title="BackgroundTasks",
            role="fix",
            factory="scenarios.background_work:background_tasks",
            summary="The audit write is added to BackgroundTasks and runs after the response.",
        ),
    ),
    pitfall_variant="inline",
    fix_variant="background_tasks",
    upstream=fixed_latency(UPSTREAM_LATENCY_MS),
    theory=theory,
    # Theory: R = L + a vs L at every load below the app's CPU ceiling (the fix at 10 users: 100 req/s).
    headline=Headline(
        metric="latency_p50_ms",
        name="p50 latency",
        better="lower",
        users=10,
        text="users wait {ratio} longer (p50)",
        unit="ms",
        digits=0,
    ),
    loads=(1, 10),
)
