"""Framework and standard-library names the rules rely on, by fully qualified name: offloads, deadlines,
limiters, caches, retry decorators, FastAPI's `Depends` and route decorators. SDK clients, drivers and
blocking calls are the ecosystem table (`ecosystem.py`).
"""

from __future__ import annotations

__all__ = [
    "CACHE_DECORATORS",
    "DEADLINE_CALLS",
    "DEADLINE_CONTEXTS",
    "DEPENDS",
    "HTTP_READ_VERBS",
    "KNOWN_ASYNC_CALLS",
    "OFFLOAD_CALLS",
    "RETRY_DECORATORS",
    "ROUTE_DECORATORS",
    "ROUTE_REGISTRARS",
    "SEMAPHORES",
    "SLEEPS",
]

HTTP_READ_VERBS = frozenset({"get", "head", "options"})

# Calls that run their function argument on a thread (or process): not blocking the loop.
OFFLOAD_CALLS = frozenset(
    {
        "asyncio.to_thread",
        "anyio.to_thread.run_sync",
        "starlette.concurrency.run_in_threadpool",
        "fastapi.concurrency.run_in_threadpool",
    }
)

# Context managers that put a deadline on everything inside them.
DEADLINE_CONTEXTS = frozenset(
    {
        "asyncio.timeout",
        "asyncio.timeout_at",
        "anyio.fail_after",
        "anyio.move_on_after",
        "async_timeout.timeout",
        "trio.fail_after",
        "trio.move_on_after",
    }
)

# Calls whose awaitable argument runs under a deadline.
DEADLINE_CALLS = frozenset({"asyncio.wait_for", "anyio.fail_after", "async_timeout.timeout"})

SEMAPHORES = frozenset(
    {
        "asyncio.Semaphore",
        "asyncio.BoundedSemaphore",
        "anyio.Semaphore",
        "anyio.CapacityLimiter",
        "trio.Semaphore",
        "trio.CapacityLimiter",
        "aiolimiter.AsyncLimiter",
    }
)

SLEEPS = frozenset({"asyncio.sleep", "time.sleep", "anyio.sleep", "trio.sleep"})

# Awaitables whose result is the point: calling one without `await` does nothing.
KNOWN_ASYNC_CALLS = frozenset({"asyncio.sleep", "asyncio.wait_for", "asyncio.wait", "anyio.sleep"})

CACHE_DECORATORS = frozenset(
    {"functools.cache", "functools.lru_cache", "functools.cached_property", "async_lru.alru_cache"}
)
RETRY_DECORATORS = frozenset(
    {"tenacity.retry", "backoff.on_exception", "backoff.on_predicate", "retry.retry", "retrying.retry"}
)
DEPENDS = frozenset({"fastapi.Depends", "fastapi.params.Depends", "fastapi.Security"})

# `@app.get("/path")`, `@router.post(...)`, `@app.websocket(...)`: the attribute names of route decorators.
ROUTE_DECORATORS = frozenset(
    {
        "get",
        "post",
        "put",
        "patch",
        "delete",
        "head",
        "options",
        "trace",
        "api_route",
        "route",
        "websocket",
        "websocket_route",
    }
)
# `app.add_api_route("/p", endpoint)`, `Route("/p", endpoint)`: calls that register a handler.
ROUTE_REGISTRARS = frozenset({"add_api_route", "add_route", "add_websocket_route", "Route", "WebSocketRoute"})
