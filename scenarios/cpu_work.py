"""cpu_work — the honest counter-example: threads do not scale pure-Python CPU work.

Bug: c ms of pure-Python CPU work per request on the loop. Fix: a process pool; `to_thread` keeps the loop
responsive but adds no throughput (one GIL). Theory: `inline` and `to_thread` X = min(U / (c + L), min(W,
P) / c); `process_pool` X = min(U / (c + L), P / c). Details: docs/scenarios.md."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from fastapi import FastAPI

from scenarios._plumbing import Answer, Question, async_openai, env_float, env_int, new_app
from scenarios.model import Headline, Prediction, Scenario, TheoryInput, Variant, closed_loop, fixed_latency

__all__ = ["SCENARIO", "CpuConfig", "burn_cpu", "inline", "process_pool", "to_thread"]

UPSTREAM_LATENCY_MS = 100.0


@dataclass(frozen=True, kw_only=True)
class CpuConfig:
    """`cpu_ms`: CPU time of the work per request (AWAITBENCH_CPU_MS); `pool_processes`: size of the
    process pool (AWAITBENCH_CPU_POOL_PROCESSES, default: one per core)."""

    cpu_ms: float = 20.0
    pool_processes: int = 0

    @classmethod
    def from_env(cls) -> CpuConfig:
        return cls(
            cpu_ms=env_float("AWAITBENCH_CPU_MS", default=cls.cpu_ms),
            pool_processes=env_int("AWAITBENCH_CPU_POOL_PROCESSES", default=os.cpu_count() or 1, minimum=1),
        )


def burn_cpu(text: str, cpu_ms: float) -> str:
    """Pure-Python work holding the GIL for `cpu_ms` of this thread's CPU time.

    Measured in thread CPU time, not wall time, so GIL contention shows up as longer wall time exactly
    as it would for real work of that size.
    """
    deadline = time.thread_time() + cpu_ms / 1000.0
    digest = 0
    while time.thread_time() < deadline:
        for char in text:
            digest = (digest * 31 + ord(char)) & 0xFFFFFFFF
    return f"{text} [{digest:08x}]"


def inline() -> FastAPI:
    app, llm = new_app(title="cpu_work: inline", client=async_openai)
    knobs = CpuConfig.from_env()

    @app.post("/ask")
    async def ask(question: Question) -> Answer:
        prompt = burn_cpu(question.question, knobs.cpu_ms)  # the loop computes, nothing else runs
        reply = await llm.client.chat.completions.create(**llm.prompt(prompt))
        return Answer.of(reply)

    return app


def to_thread() -> FastAPI:
    app, llm = new_app(title="cpu_work: to_thread", client=async_openai)
    knobs = CpuConfig.from_env()

    @app.post("/ask")
    async def ask(question: Question) -> Answer:
        prompt = await asyncio.to_thread(burn_cpu, question.question, knobs.cpu_ms)  # still one GIL
        reply = await llm.client.chat.completions.create(**llm.prompt(prompt))
        return Answer.of(reply)

    return app


async def _start_pool(pool: ProcessPoolExecutor, processes: int) -> None:
    """Start every worker before the app reports ready: spawning one (a fresh interpreter importing this
    module) takes about a second, which would otherwise be paid inside the first requests."""
    loop = asyncio.get_running_loop()
    await asyncio.gather(*(loop.run_in_executor(pool, burn_cpu, "warm-up", 0.0) for _ in range(processes)))


def process_pool() -> FastAPI:
    knobs = CpuConfig.from_env()
    # spawn, not fork: forking a process that runs an event loop and threads copies their locked state.
    pool = ProcessPoolExecutor(knobs.pool_processes, mp_context=multiprocessing.get_context("spawn"))
    app, llm = new_app(
        title="cpu_work: process_pool",
        client=async_openai,
        on_startup=lambda: _start_pool(pool, knobs.pool_processes),
        on_shutdown=pool.shutdown,
    )

    @app.post("/ask")
    async def ask(question: Question) -> Answer:
        loop = asyncio.get_running_loop()
        prompt = await loop.run_in_executor(pool, burn_cpu, question.question, knobs.cpu_ms)  # own GIL
        reply = await llm.client.chat.completions.create(**llm.prompt(prompt))
        return Answer.of(reply)

    return app


def theory(given: TheoryInput) -> Mapping[str, Prediction]:
    cpu_ms = CpuConfig().cpu_ms
    latency, users, workers, cores = given.upstream_latency_ms, given.users, given.workers, given.cores
    unloaded = cpu_ms + latency
    one_gil = min(workers, cores) * 1000.0 / cpu_ms
    return {
        "inline": closed_loop(
            users=users, latency_ms=unloaded, capacity_rps=one_gil, note="X <= min(W, P) / c"
        ),
        "to_thread": closed_loop(
            users=users,
            latency_ms=unloaded,
            capacity_rps=one_gil,
            note="threads share one GIL per process: no gain over inline",
        ),
        "process_pool": closed_loop(
            users=users,
            latency_ms=unloaded,
            capacity_rps=cores * 1000.0 / cpu_ms,
            note="one interpreter per core: X <= P / c",
        ),
    }


SCENARIO = Scenario(
    id="cpu_work",
    title="CPU-bound Python: threads vs processes",
    pitfall=(
        "Pure-Python CPU work runs in the async route. It blocks the loop for its whole duration, and "
        "moving it to a thread keeps the loop responsive but does not add throughput: the GIL lets one "
        "thread compute at a time."
    ),
    fix=(
        "Send CPU-bound work to a process pool (one process per core, created once and shut down with the "
        "app): each process has its own GIL, so throughput scales with the cores."
    ),
    signature="throughput vs users: inline and to_thread flat at ~1 / c, process_pool up to cores / c",
    variants=(
        Variant(
            id="inline",
            title="CPU work in async def",
            role="pitfall",
            factory="scenarios.cpu_work:inline",
            summary="The CPU work runs on the event-loop thread.",
        ),
        Variant(
            id="process_pool",
            title="ProcessPoolExecutor",
            role="fix",
            factory="scenarios.cpu_work:process_pool",
            summary="The CPU work runs in a process pool, one process per core.",
        ),
        Variant(
            id="to_thread",
            title="asyncio.to_thread (GIL-bound)",
            role="reference",
            factory="scenarios.cpu_work:to_thread",
            summary="The CPU work in a thread: a responsive loop, but no more throughput.",
        ),
    ),
    pitfall_variant="inline",
    fix_variant="process_pool",
    upstream=fixed_latency(UPSTREAM_LATENCY_MS),
    theory=theory,
    # Theory: inline is capped at 1 / c = 50 req/s from U ~ (c + L) / c = 6 users; the pool at P / c =
    # 100 req/s from 12 users. At 10 users inline is saturated and the pool is not (83 vs 50 req/s);
    # at 40 both are (the pool then competes with Locust and fake_llm for the two cores).
    headline=Headline(
        metric="throughput_rps",
        name="req/s",
        better="higher",
        users=10,
        text="{ratio} fewer req/s",
        unit="req/s",
        caveat="its pool needs a spare core: Locust and fake_llm share both",
    ),
    loads=(1, 5, 10, 40),
    core=True,
)
