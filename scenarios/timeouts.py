"""timeouts — no deadline on the upstream call: users pile up on the calls that hang.

Bug: no deadline of the app's own, so a hung call waits the SDK's 600 s. Fix: `asyncio.timeout(...)`, 504
when it expires. Theory: with hang probability h and deadline D, R = (1 − h)·L + h·D, X = U / R, D = 600 s
without a deadline. Details, and why h is 10 %: docs/scenarios.md."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

import openai
from fastapi import FastAPI

from scenarios._plumbing import Answer, AppConfig, Question, env_float, new_app
from scenarios.model import Headline, Prediction, Scenario, TheoryInput, Variant, closed_loop, fixed_latency

__all__ = ["SCENARIO", "TimeoutConfig", "no_timeout", "sdk_default_client", "with_timeout"]

UPSTREAM_LATENCY_MS = 100.0
HANG_RATE = 0.1
SDK_DEFAULT_TIMEOUT_MS = 600_000.0  # openai SDK: Timeout(connect=5, read=600, ...)


@dataclass(frozen=True, kw_only=True)
class TimeoutConfig:
    """`deadline_ms`: the app's deadline for one upstream call (AWAITBENCH_DEADLINE_MS)."""

    deadline_ms: float = 1000.0

    @classmethod
    def from_env(cls) -> TimeoutConfig:
        return cls(deadline_ms=env_float("AWAITBENCH_DEADLINE_MS", default=cls.deadline_ms, minimum=1.0))


def sdk_default_client(config: AppConfig) -> openai.AsyncOpenAI:
    """The SDK client as most apps build it: no `timeout=`, so a hung call waits the SDK's 600 s.
    (The other scenarios' shared client sets one; here both variants keep the default, and the fix is the
    deadline around the call.)"""
    return openai.AsyncOpenAI(
        base_url=config.base_url, api_key=config.api_key, http_client=config.new_http_client()
    )


def no_timeout() -> FastAPI:
    app, llm = new_app(title="timeouts: no_timeout", client=sdk_default_client)

    @app.post("/ask")
    async def ask(question: Question) -> Answer:
        reply = await llm.client.chat.completions.create(**llm.prompt(question))  # may wait 600 s
        return Answer.of(reply)

    return app


def with_timeout() -> FastAPI:
    app, llm = new_app(title="timeouts: with_timeout", client=sdk_default_client)
    knobs = TimeoutConfig.from_env()

    @app.post("/ask")
    async def ask(question: Question) -> Answer:
        async with asyncio.timeout(knobs.deadline_ms / 1000.0):  # TimeoutError -> 504
            reply = await llm.client.chat.completions.create(**llm.prompt(question))
        return Answer.of(reply)

    return app


def _mean_latency_ms(latency_ms: float, deadline_ms: float) -> float:
    return (1.0 - HANG_RATE) * latency_ms + HANG_RATE * deadline_ms


def theory(given: TheoryInput) -> Mapping[str, Prediction]:
    latency, users = given.upstream_latency_ms, given.users
    deadline = TimeoutConfig().deadline_ms
    return {
        "no_timeout": closed_loop(
            users=users,
            latency_ms=_mean_latency_ms(latency, SDK_DEFAULT_TIMEOUT_MS),
            note=f"{HANG_RATE:.0%} of calls hang for the SDK's 600 s: users pile up (steady state)",
        ),
        "with_timeout": closed_loop(
            users=users,
            latency_ms=_mean_latency_ms(latency, deadline),
            note=f"hung calls cut at {deadline:g} ms and answered 504",
        ),
    }


SCENARIO = Scenario(
    id="timeouts",
    title="No deadline on upstream calls",
    pitfall=(
        "The app sets no deadline on upstream calls that sometimes hang. Each hang holds a user for the "
        "SDK's default timeout (10 minutes); stuck requests accumulate and throughput "
        "collapses although the server looks idle."
    ),
    fix=(
        "Wrap the call in asyncio.timeout(...) and answer 504 when it expires: a hang costs one deadline, "
        "not ten minutes, and throughput stays steady."
    ),
    signature="stuck in-flight requests grow over time; throughput collapses vs steady with a deadline",
    variants=(
        Variant(
            id="no_timeout",
            title="no deadline",
            role="pitfall",
            factory="scenarios.timeouts:no_timeout",
            summary="The call is awaited with the SDK's default timeout (600 s).",
        ),
        Variant(
            id="with_timeout",
            title="asyncio.timeout → 504",
            role="fix",
            factory="scenarios.timeouts:with_timeout",
            summary="The call runs under asyncio.timeout(1 s); expiry answers 504.",
        ),
    ),
    pitfall_variant="no_timeout",
    fix_variant="with_timeout",
    upstream=fixed_latency(UPSTREAM_LATENCY_MS, hang_rate=HANG_RATE),
    theory=theory,
    # Theory: 10 % of the requests hang for 600 s; the steady state (every user stuck) is minutes away,
    # so no window of seconds reaches it (the points say so). What a window does show: the share of the
    # requests issued in it that never answer. 40 users give ~4x the samples of 10; the fix serves
    # U / R = 210 req/s there, below the app's ceiling.
    headline=Headline(
        metric="unanswered_share",
        name="unanswered requests",
        better="lower",
        users=40,
        text="{pitfall_pct} of requests never answer",
        unit="%",
        min_gap=0.01,
    ),
    loads=(10, 40),
)
