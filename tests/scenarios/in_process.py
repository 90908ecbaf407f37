"""Level one of the scenario tests: a variant app and fake_llm in this process; no socket, no subprocess.

The variant is built by its own zero-argument factory inside `override_config(...)`, so its SDK clients
get HTTP clients whose transport calls fake_llm's ASGI app directly: `httpx2.ASGITransport` for the async
SDK client, and for the blocking one a transport that runs fake_llm on an anyio portal thread (the caller
blocks exactly as it would on a socket, so a sync call on the event loop still blocks the loop). The test
talks to the variant through `httpx.ASGITransport`, between the lifespan's startup (the shared client
opens) and its shutdown (it closes), driven as uvicorn drives them.

What this level cannot reach: a variant that builds its own HTTP stack (an aiohttp session, a bare httpx
client) rather than an SDK client from the plumbing. Their base URL never resolves, so they fail loudly
instead of reaching a real network; they are tested against real processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import httpx2
from anyio.from_thread import BlockingPortal, start_blocking_portal

from fake_llm.app import FakeLLMApp, create_app
from fake_llm.config import FakeLLMConfig, LatencyConfig
from scenarios._plumbing import AppConfig, override_config

__all__ = [
    "IN_PROCESS_BASE_URL",
    "InProcess",
    "fast_upstream",
    "lifespan",
    "load_factory",
    "serve_in_process",
]

# `.invalid` never resolves (RFC 2606): a client that bypasses the seam fails at once, offline.
IN_PROCESS_BASE_URL = "http://fake-llm.in-process.invalid/v1"

ASGIApp = Callable[..., Any]


def fast_upstream() -> FakeLLMConfig:
    """A fake LLM that answers at once: this level checks what a variant does, not how long it takes."""
    return FakeLLMConfig(latency=LatencyConfig(ttft_ms=0.0, itl_ms=0.0, output_tokens=8))


def load_factory(import_string: str) -> Callable[[], ASGIApp]:
    """The zero-argument app factory a `Variant.factory` names ("module:function")."""
    module_name, _, function = import_string.partition(":")
    factory: Callable[[], ASGIApp] = getattr(importlib.import_module(module_name), function)
    return factory


class _PortalTransport(httpx2.BaseTransport):
    """A blocking transport to an ASGI app that runs on the portal's event-loop thread."""

    def __init__(self, portal: BlockingPortal, app: ASGIApp) -> None:
        self._portal = portal
        self._asgi = httpx2.ASGITransport(app=app)

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        # The request's body is a sync stream; ASGITransport needs one it can read asynchronously.
        buffered = httpx2.Request(
            request.method, request.url, headers=request.headers, content=request.read()
        )
        status, headers, body = self._portal.call(self._send, buffered)
        return httpx2.Response(status, headers=headers, content=body, request=request)

    async def _send(self, request: httpx2.Request) -> tuple[int, httpx2.Headers, bytes]:
        response = await self._asgi.handle_async_request(request)
        body = b"".join([chunk async for chunk in response.aiter_raw()])
        return response.status_code, response.headers, body


@contextlib.asynccontextmanager
async def lifespan(app: ASGIApp) -> AsyncIterator[None]:
    """Run the ASGI lifespan protocol around the block: startup before the first request, shutdown after
    the last, as uvicorn does. A failed startup or shutdown raises the app's own exception."""
    to_app: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}
    task = asyncio.create_task(app(scope, to_app.get, from_app.put))

    async def step(phase: str) -> None:
        await to_app.put({"type": f"lifespan.{phase}"})
        message = await from_app.get()
        if message["type"] != f"lifespan.{phase}.complete":
            await task  # raises what the app raised
            raise AssertionError(f"lifespan {phase} failed: {message}")

    await step("startup")
    try:
        yield
    finally:
        await step("shutdown")
        await task


@dataclass(frozen=True)
class InProcess:
    """A served variant: `client` talks to it, `upstream` is the fake LLM it calls."""

    client: httpx.AsyncClient
    upstream: FakeLLMApp

    def upstream_requests(self) -> int:
        """API requests the fake LLM has received (its own counter, the same one `/stats` shows)."""
        return self.upstream.engine.stats.snapshot().requests_total


@contextlib.asynccontextmanager
async def serve_in_process(
    factory: Callable[[], ASGIApp], *, upstream: FakeLLMConfig | None = None
) -> AsyncIterator[InProcess]:
    """Build the variant against an in-process fake LLM and serve it through its lifespan."""
    llm = create_app(upstream or fast_upstream())
    with start_blocking_portal() as portal:
        config = AppConfig(
            base_url=IN_PROCESS_BASE_URL,
            http_client=lambda: httpx2.AsyncClient(transport=httpx2.ASGITransport(app=llm)),
            sync_http_client=lambda: httpx2.Client(transport=_PortalTransport(portal, llm)),
        )
        with override_config(config):
            app = factory()
        async with lifespan(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://variant") as client:
                yield InProcess(client=client, upstream=llm)
