"""Threadpool saturation: a burst of `def` route calls borrows all 40 of anyio's default tokens."""

from __future__ import annotations

import asyncio

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
