"""The loopback HTTP server a driver process takes its orders on: the given routes plus `GET /health`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["Route", "serve_routes"]

Route = tuple[str, str, Callable[["web.Request"], Awaitable["web.Response"]]]


async def serve_routes(port: int, routes: Sequence[Route], on_stop: Callable[[], None] | None = None) -> None:
    """Serve `routes` ((method, path, handler)) on 127.0.0.1:`port` until cancelled; `on_stop` runs first."""
    from aiohttp import web

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    for method, path, handler in routes:
        app.router.add_route(method, path, handler)
    app.router.add_get("/health", health)
    runner = web.AppRunner(app, access_log=None, handle_signals=True)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        await asyncio.Event().wait()
    finally:
        if on_stop is not None:
            on_stop()
        await runner.cleanup()
