"""Which request a block froze: the middleware tags the task, the monitor reads the route template."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from awaitbench.detect.middleware import LoopWatchMiddleware
from awaitbench.detect.watchdog import LoopWatch, watch_loop
from awaitbench.detect.watchdog.routes import describe_route
from tests.awaitbench.detect.watch_app import blocking_sleep, line_of


def test_describe_route_prefers_the_template() -> None:
    class Route:
        path = "/items/{item_id}"

    assert describe_route({"type": "http", "method": "GET", "path": "/items/7", "route": Route()}) == (
        "GET /items/{item_id}"
    )
    assert describe_route({"type": "http", "method": "GET", "path": "/nowhere"}) == "GET /nowhere"
    assert describe_route({"type": "websocket", "path": "/ws"}) == "WS /ws"


def test_a_block_names_the_route_it_froze() -> None:
    app = FastAPI()

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, int]:
        blocking_sleep(0.25)
        return {"item_id": item_id}

    @app.get("/fast")
    async def fast() -> dict[str, bool]:
        return {"ok": True}

    wrapped = LoopWatchMiddleware(app, log=False, metrics=False)  # tags requests; the watch below reads

    async def scenario() -> LoopWatch:
        transport = httpx.ASGITransport(app=wrapped)
        async with (
            watch_loop(threshold_ms=100) as watch,
            httpx.AsyncClient(transport=transport, base_url="http://app") as client,
        ):
            await asyncio.gather(client.get("/items/7"), *(client.get("/fast") for _ in range(5)))
        return watch

    blocks = asyncio.run(scenario()).blocks
    mine = [b for b in blocks if b.location.line == line_of("SLEEP")]
    assert len(mine) >= 1, blocks  # this watch's block (the middleware's own watch saw it as well)
    assert {b.route for b in mine} == {"GET /items/{item_id}"}
