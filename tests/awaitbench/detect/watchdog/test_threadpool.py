"""Threadpool readings: a burst of `def` route calls borrows all 40 of anyio's default tokens; a token
held is integrated over the time it is held."""

from __future__ import annotations

import asyncio
import time

import anyio.to_thread
import httpx

from awaitbench.detect.watchdog import LoopWatch, watch_loop
from tests.awaitbench.detect.watch_app import make_app


def test_a_burst_of_def_routes_saturates_the_40_tokens() -> None:
    async def scenario() -> LoopWatch:
        app = make_app(middleware=False)
        transport = httpx.ASGITransport(app=app)
        async with (
            watch_loop(threshold_ms=200) as watch,
            httpx.AsyncClient(transport=transport, base_url="http://app", timeout=30) as client,
        ):
            replies = await asyncio.gather(*(client.post("/threads", params={"ms": 400}) for _ in range(60)))
        assert all(reply.status_code == 200 for reply in replies)
        return watch

    pool = asyncio.run(scenario()).threadpool
    assert pool.total_tokens == 40
    assert pool.peak_borrowed == 40 and pool.saturated
    assert pool.peak_waiting >= 1  # 60 calls for 40 tokens: the rest queue
    assert pool.saturated_ms > 0


def test_a_borrowed_token_is_integrated_over_the_time_it_is_held_and_an_idle_pool_adds_nothing() -> None:
    async def scenario() -> tuple[LoopWatch, float]:
        async with watch_loop(threshold_ms=100) as watch:  # a beat every 20 ms
            await asyncio.sleep(0.2)  # idle: no token borrowed
            started = time.perf_counter()
            await anyio.to_thread.run_sync(time.sleep, 0.3)
            held_at_most = time.perf_counter() - started
        return watch, held_at_most

    watch, held_at_most = asyncio.run(scenario())
    pool, beat = watch.threadpool, watch.config.interval_s
    assert pool.peak_borrowed == 1 and not pool.saturated
    assert 0.3 - 2 * beat <= pool.borrowed_ms / 1000 <= held_at_most + 2 * beat
    assert pool.waiting_ms == 0.0
