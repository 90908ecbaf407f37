"""fan_out — one request fans out to N upstream calls with no limit on how many are in flight.

Bug: `gather` over N calls per request puts U·N calls in flight against an upstream capped at K. Fix: one
shared `asyncio.Semaphore(k)`, k below K. Theory: `unbounded` goodput ≈ s^N · K / (N·L), collapsing once
U·N > K; `semaphore` X = k / (N·L), no 429s. Details and sizes: docs/scenarios.md."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

from scenarios._plumbing import Answer, Question, async_openai, env_int, new_app
from scenarios.model import Headline, Prediction, Scenario, TheoryInput, Variant, closed_loop, fixed_latency

__all__ = ["SCENARIO", "FanOutConfig", "semaphore", "unbounded"]

UPSTREAM_LATENCY_MS = 100.0
UPSTREAM_CAP = 12  # the fake LLM's --max-concurrency; --queue-limit 0 answers 429 beyond it
RETRY_AFTER_MS = 50  # the 429's Retry-After: the SDK honours it, so retries cost ~L, not a second
ATTEMPTS_PER_CALL = 3  # the SDK's default: one try and max_retries = 2


@dataclass(frozen=True, kw_only=True)
class FanOutConfig:
    """`calls`: upstream calls per request (AWAITBENCH_FAN_OUT_CALLS); `limit`: the semaphore's k
    (AWAITBENCH_FAN_OUT_LIMIT). The semaphore is per process: k = 10 stays under the upstream's cap of
    12 for one app worker; with W workers use k <= 12 / W."""

    calls: int = 10
    limit: int = 10

    @classmethod
    def from_env(cls) -> FanOutConfig:
        return cls(
            calls=env_int("AWAITBENCH_FAN_OUT_CALLS", default=cls.calls, minimum=1),
            limit=env_int("AWAITBENCH_FAN_OUT_LIMIT", default=cls.limit, minimum=1),
        )

    def chunks(self) -> list[str]:
        return [f"Summarise chunk {i + 1} of {self.calls} of" for i in range(self.calls)]


def unbounded() -> FastAPI:
    app, llm = new_app(title="fan_out: unbounded", client=async_openai)
    knobs = FanOutConfig.from_env()

    async def call(prompt: dict[str, Any]) -> Any:
        return await llm.client.chat.completions.create(**prompt)

    @app.post("/ask")
    async def ask(question: Question) -> Answer:
        replies = await asyncio.gather(*(call(p) for p in llm.prompts(question, knobs.chunks())))
        return Answer.of(*replies)

    return app


def semaphore() -> FastAPI:
    app, llm = new_app(title="fan_out: semaphore", client=async_openai)
    knobs = FanOutConfig.from_env()
    in_flight = asyncio.Semaphore(knobs.limit)  # shared by every request of this process

    async def call(prompt: dict[str, Any]) -> Any:
        async with in_flight:
            return await llm.client.chat.completions.create(**prompt)

    @app.post("/ask")
    async def ask(question: Question) -> Answer:
        replies = await asyncio.gather(*(call(p) for p in llm.prompts(question, knobs.chunks())))
        return Answer.of(*replies)

    return app


def theory(given: TheoryInput) -> Mapping[str, Prediction]:
    knobs = FanOutConfig()
    latency, users, workers = given.upstream_latency_ms, given.users, given.workers
    demand = users * knobs.calls
    if demand <= UPSTREAM_CAP:
        bad = closed_loop(users=users, latency_ms=latency, note=f"U·N = {demand} calls fit under the cap")
    else:
        call_ok = 1.0 - (1.0 - UPSTREAM_CAP / demand) ** ATTEMPTS_PER_CALL
        request_ok = call_ok**knobs.calls
        capped = closed_loop(
            users=users, latency_ms=latency, capacity_rps=UPSTREAM_CAP * 1000.0 / (knobs.calls * latency)
        )
        bad = Prediction(
            throughput_rps=capped.throughput_rps * request_ok,
            latency_ms=capped.latency_ms,
            capacity_rps=capped.capacity_rps,
            note=(
                f"U·N = {demand} calls in flight > cap {UPSTREAM_CAP}: 429s and retries; "
                f"{request_ok:.2%} of requests get all {knobs.calls} calls through"
            ),
        )
    slots = min(knobs.limit * workers, UPSTREAM_CAP)
    good = closed_loop(
        users=users,
        latency_ms=math.ceil(knobs.calls / knobs.limit) * latency,
        capacity_rps=slots * 1000.0 / (knobs.calls * latency),
        note=f"at most {knobs.limit} calls in flight per process: X = k / (N·L)",
    )
    return {"unbounded": bad, "semaphore": good}


SCENARIO = Scenario(
    id="fan_out",
    title="Unbounded fan-out",
    pitfall=(
        "Each request gathers 10 upstream calls with no limit. Under load the app puts users × 10 calls "
        "in flight, far beyond what the upstream accepts: it answers 429, the SDK retries, the connection "
        "pool queues, and latency and error rate explode."
    ),
    fix=(
        "A single asyncio.Semaphore shared by all requests bounds the in-flight upstream calls below the "
        "upstream's limit; excess work waits in the app, cheaply, instead of being rejected."
    ),
    signature="upstream peak in-flight and 429 count; error rate and p99 vs the bounded variant",
    variants=(
        Variant(
            id="unbounded",
            title="gather, no limit",
            role="pitfall",
            factory="scenarios.fan_out:unbounded",
            summary="asyncio.gather over 10 calls per request, nothing bounds the total in flight.",
        ),
        Variant(
            id="semaphore",
            title="gather + shared Semaphore",
            role="fix",
            factory="scenarios.fan_out:semaphore",
            summary="The same gather, each call inside a process-wide asyncio.Semaphore(10).",
        ),
    ),
    pitfall_variant="unbounded",
    fix_variant="semaphore",
    upstream=fixed_latency(
        UPSTREAM_LATENCY_MS, max_concurrency=UPSTREAM_CAP, queue_limit=0, retry_after_ms=RETRY_AFTER_MS
    ),
    theory=theory,
    # Theory: the upstream takes K = 12 calls; one user's 10 calls fit (1 user: no difference), two
    # users' 20 do not (the knee); beyond it the unbounded variant's calls are rejected with 429s, the
    # SDK retries them (up to 3 attempts each) and requests fail when one call runs out of attempts,
    # while the semaphore (R = U·N·L / k = U x 100 ms) still answers within the window. The failed share
    # is what users see, but it swings by a third between runs (a request fails on its unluckiest of 10
    # calls); the upstream calls each request costs (its 10 calls plus every retry) repeat within a few
    # percent, so that is the headline, read at 10 users where the pile-up is deepest.
    headline=Headline(
        metric="upstream_calls_per_request",
        name="upstream calls/request",
        better="lower",
        users=10,
        text="{ratio} upstream calls (429s and retries)",
        min_gap=0.5,
    ),
    loads=(1, 2, 5, 10),
    core=True,
    evidence_at_upstream=True,
)
