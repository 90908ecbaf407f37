"""retries — retrying at once, on every error, turns an overloaded upstream into a retry storm.

Bug: a hand-written loop retries every error immediately. Fix: retry only 429/5xx/transport errors, with
exponential backoff and full jitter or `Retry-After`, a few attempts. Theory: both X ≤ K / L; the storm
multiplies upstream requests per user request, backoff keeps it near 1. Details: docs/scenarios.md."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import openai
from fastapi import FastAPI

from scenarios._plumbing import Answer, AppConfig, Llm, Question, async_openai, env_int, new_app
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

__all__ = [
    "SCENARIO",
    "RetryPolicy",
    "backoff",
    "backoff_delay_s",
    "create_with_retries",
    "retry_storm",
]

UPSTREAM_LATENCY_MS = 100.0
UPSTREAM_CAP = 8  # the fake LLM's --max-concurrency; --queue-limit 0 sheds the rest with 429
RETRYABLE = (openai.RateLimitError, openai.InternalServerError, openai.APIConnectionError)
MAX_RETRY_AFTER_S = 2.0


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """Which errors to retry and how long to wait before attempt `n + 1` after `error`."""

    retry_on: tuple[type[Exception], ...]
    delay_s: Callable[[int, Exception], float]


def backoff_delay_s(attempt: int, error: Exception) -> float:
    """Retry-After when the server sends it (capped), else full-jitter exponential backoff from 50 ms."""
    response = getattr(error, "response", None)
    retry_after = response.headers.get("retry-after") if response is not None else None
    if retry_after is not None:
        try:
            return min(float(retry_after), MAX_RETRY_AFTER_S)
        except ValueError:
            pass
    return random.uniform(0.0, min(0.05 * 2**attempt, MAX_RETRY_AFTER_S))


def _no_sdk_retries(config: AppConfig) -> openai.AsyncOpenAI:
    return async_openai(config, max_retries=0)


async def create_with_retries(
    llm: Llm[openai.AsyncOpenAI], prompt: dict[str, Any], policy: RetryPolicy, *, attempts: int
) -> Any:
    """The retry loop both variants share; only the policy differs. Counts go to `/app-stats`."""
    llm.stats["requests"] += 1
    for attempt in range(attempts):
        llm.stats["attempts"] += 1
        try:
            return await llm.client.chat.completions.create(**prompt)
        except policy.retry_on as error:
            if attempt + 1 == attempts:
                llm.stats["gave_up"] += 1
                raise
            await asyncio.sleep(policy.delay_s(attempt, error))
    raise AssertionError("unreachable: the loop returns or raises")


def retry_storm() -> FastAPI:
    app, llm = new_app(title="retries: retry_storm", client=_no_sdk_retries)
    attempts = env_int("AWAITBENCH_RETRY_ATTEMPTS", default=5, minimum=1)
    policy = RetryPolicy(retry_on=(openai.APIError,), delay_s=lambda attempt, error: 0.0)  # all, at once

    @app.post("/ask")
    async def ask(question: Question) -> Answer:
        reply = await create_with_retries(llm, llm.prompt(question), policy, attempts=attempts)
        return Answer.of(reply)

    return app


def backoff() -> FastAPI:
    app, llm = new_app(title="retries: backoff", client=_no_sdk_retries)
    attempts = env_int("AWAITBENCH_RETRY_ATTEMPTS", default=5, minimum=1)
    policy = RetryPolicy(retry_on=RETRYABLE, delay_s=backoff_delay_s)  # 429/5xx/transport, after a wait

    @app.post("/ask")
    async def ask(question: Question) -> Answer:
        reply = await create_with_retries(llm, llm.prompt(question), policy, attempts=attempts)
        return Answer.of(reply)

    return app


def theory(given: TheoryInput) -> Mapping[str, Prediction]:
    latency, users = given.upstream_latency_ms, given.users
    bound = UPSTREAM_CAP * 1000.0 / latency
    return {
        "retry_storm": closed_loop(
            users=users,
            latency_ms=latency,
            capacity_rps=bound,
            note="upstream-bound; every rejected attempt returns at once: amplification grows with U / K",
        ),
        "backoff": closed_loop(
            users=users,
            latency_ms=latency,
            capacity_rps=bound,
            note="upstream-bound; waits before retrying: amplification stays near 1",
        ),
    }


SCENARIO = Scenario(
    id="retries",
    title="Retry storms",
    pitfall=(
        "A retry loop retries every failure immediately. When the upstream sheds load with 429s, each "
        "rejected call comes straight back, multiplying the load on the upstream exactly when it is "
        "overloaded."
    ),
    fix=(
        "Retry only retryable errors (429, 5xx, transport), after a wait: the server's Retry-After when "
        "given, else exponential backoff with full jitter, and give up after a few attempts."
    ),
    signature="upstream requests per user request (amplification) and success rate",
    variants=(
        Variant(
            id="retry_storm",
            title="immediate retries",
            role="pitfall",
            factory="scenarios.retries:retry_storm",
            summary="Up to 5 attempts, every error retried at once.",
        ),
        Variant(
            id="backoff",
            title="backoff + Retry-After",
            role="fix",
            factory="scenarios.retries:backoff",
            summary="Up to 5 attempts, retryable errors only, Retry-After or jittered exponential wait.",
        ),
    ),
    pitfall_variant="retry_storm",
    fix_variant="backoff",
    upstream=fixed_latency(UPSTREAM_LATENCY_MS, max_concurrency=UPSTREAM_CAP, queue_limit=0),
    theory=theory,
    # Theory: below the upstream's cap K = 8 nothing is rejected (5 users: no storm); beyond it every
    # rejected attempt of the storm comes straight back. Read the amplification at 20 users.
    headline=Headline(
        metric="upstream_calls_per_request",
        name="upstream calls/request",
        better="lower",
        users=20,
        text="{ratio} upstream calls",
        min_gap=0.5,
    ),
    loads=(5, 20),
    evidence_at_upstream=True,
    signals=(
        *COMMON_SIGNALS,
        Signal(name="attempts/request", figure="app:attempts/request", better="lower", min_gap=0.5),
        Signal(name="gave up/request", figure="app:gave_up/request", better="lower", digits=2, min_gap=0.05),
    ),
)
