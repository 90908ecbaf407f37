"""The demo's web server (aiohttp, 127.0.0.1 only): the page, its event stream, its controls and snapshot.

Every POST must come from the page's own loopback origin with the page's content type."""

from __future__ import annotations

import asyncio
import json
import math
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from bench.demo.page import HISTORY_S, TICK_S, page_asset
from bench.demo.recording import Recorder
from bench.errors import UsageError

__all__ = ["Hub", "Routes", "Server", "start_server"]

_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
_PNG = b"\x89PNG\r\n\x1a\n"
_MAX_SNAPSHOT_BYTES = 32 * 2**20
_QUEUE_LIMIT = 1000  # messages a page may fall behind by before it is dropped (it reconnects by itself)

Source = Callable[[], AsyncIterator[Mapping[str, Any]]]
OnControl = Callable[[Mapping[str, Any]], Awaitable[None]]


class Hub:
    """Fans every live message out to the open pages, and records it; a page opened mid-demo first gets
    the hello, the stage, the status and the last minute of frames."""

    def __init__(self, hello: Mapping[str, Any], recorder: Recorder | None) -> None:
        self.hello = hello
        self.recorder = recorder
        self._latest: dict[str, Mapping[str, Any]] = {}
        self._frames: deque[Mapping[str, Any]] = deque(maxlen=math.ceil(HISTORY_S / TICK_S) + 1)
        self._queues: set[asyncio.Queue[Mapping[str, Any] | None]] = set()

    def publish(self, message: Mapping[str, Any]) -> None:
        kind = message["kind"]
        if kind == "frame":
            self._frames.append(message)
        else:
            self._latest[kind] = message
        if self.recorder is not None:
            self.recorder.write(message)
        for queue in list(self._queues):
            if queue.qsize() >= _QUEUE_LIMIT:  # a page that stopped reading: end its stream
                self._queues.discard(queue)
                queue.put_nowait(None)
            else:
                queue.put_nowait(message)

    async def stream(self) -> AsyncIterator[Mapping[str, Any]]:
        queue: asyncio.Queue[Mapping[str, Any] | None] = asyncio.Queue()
        backlog = [self.hello, *self._latest.values(), *self._frames]
        self._queues.add(queue)
        try:
            for message in backlog:
                yield message
            while (queued := await queue.get()) is not None:
                yield queued
        finally:
            self._queues.discard(queue)

    def close(self) -> None:
        """End every open stream (the pages see the demo stop)."""
        for queue in list(self._queues):
            queue.put_nowait(None)
        self._queues.clear()


@dataclass(frozen=True, kw_only=True)
class Routes:
    """What the server serves: the figure stream, the controls, and where snapshots go.

    Args:
        source: a new stream of messages per open page.
        on_control: applies a control (raises UsageError for a bad one: the page shows the message).
        snapshot_path: where a snapshot goes (None: a timestamped file in the current directory).
        scenario: names the default snapshot file.
    """

    source: Source
    on_control: OnControl
    snapshot_path: Path | None
    scenario: str


def _loopback_origin(request: web.Request) -> bool:
    host = request.host.rsplit(":", 1)[0] if not request.host.endswith("]") else request.host
    if host not in _LOOPBACK_HOSTS:
        return False
    origin = request.headers.get("Origin")
    return origin is None or origin == f"http://{request.host}"


def _guard(request: web.Request, content_type: str) -> None:
    if not _loopback_origin(request):
        raise web.HTTPForbidden(text="the demo is driven from its own page on this machine only")
    if request.content_type != content_type:
        raise web.HTTPUnsupportedMediaType(text=f"send {content_type}")


def _snapshot_path(routes: Routes) -> Path:
    if routes.snapshot_path is not None:
        return routes.snapshot_path
    return Path.cwd() / f"awaitbench-demo-{routes.scenario or 'replay'}-{datetime.now():%Y%m%d-%H%M%S}.png"


def _app(routes: Routes) -> web.Application:
    async def asset(request: web.Request) -> web.Response:
        found = page_asset(request.match_info.get("name") or "page.html")
        if found is None:
            raise web.HTTPNotFound()
        body, content_type = found
        return web.Response(body=body, content_type=content_type, headers={"Cache-Control": "no-store"})

    async def events(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"}
        )
        await response.prepare(request)
        try:
            async for message in routes.source():
                await response.write(f"data: {json.dumps(message)}\n\n".encode())
        except ConnectionResetError:
            pass  # the page was closed
        return response

    async def control(request: web.Request) -> web.Response:
        _guard(request, "application/json")
        try:
            data = await request.json()
            if not isinstance(data, dict):
                raise UsageError("a control is a JSON object")
            await routes.on_control(data)
        except (UsageError, ValueError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response({"ok": True})

    async def snapshot(request: web.Request) -> web.Response:
        _guard(request, "image/png")
        body = await request.read()
        if not body.startswith(_PNG):
            return web.json_response({"error": "not a PNG image"}, status=400)
        path = _snapshot_path(routes)
        try:
            await asyncio.to_thread(_write_atomic, path, body)
        except OSError as exc:
            return web.json_response({"error": f"cannot write {path}: {exc.strerror or exc}"}, status=500)
        return web.json_response({"path": str(path)})

    app = web.Application(client_max_size=_MAX_SNAPSHOT_BYTES)

    async def no_icon(request: web.Request) -> web.Response:
        return web.Response(status=204)

    app.router.add_get("/", asset)
    app.router.add_get("/favicon.ico", no_icon)
    app.router.add_get("/events", events)
    app.router.add_get("/{name}", asset)
    app.router.add_post("/control", control)
    app.router.add_post("/snapshot", snapshot)
    return app


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    partial.replace(path)


@dataclass(frozen=True)
class Server:
    """A running demo server."""

    runner: web.AppRunner
    url: str

    async def close(self) -> None:
        await self.runner.cleanup()


async def start_server(routes: Routes, *, port: int) -> Server:
    """Serve the page on 127.0.0.1:`port` (0: a free port).

    Raises:
        UsageError: the port is taken.
    """
    runner = web.AppRunner(_app(routes), access_log=None, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise UsageError(
            f"--port {port}: 127.0.0.1:{port} is taken ({exc.strerror or exc}); "
            "pick another port, or 0 for any free one"
        ) from None
    bound = runner.addresses[0][1] if runner.addresses else port
    return Server(runner=runner, url=f"http://127.0.0.1:{bound}/")
