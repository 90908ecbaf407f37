"""Which request a blocked loop was serving: written by `LoopWatchMiddleware`, read by the monitor thread."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import MutableMapping
from typing import Any

__all__ = ["describe_route", "enter_request", "leave_request", "route_of_loop", "route_template"]

Scope = MutableMapping[str, Any]

# Task -> the scope it serves; entries live exactly as long as a request (removed in a `finally`).
_serving: dict[asyncio.Task[Any], Scope] = {}
_scope_var: contextvars.ContextVar[Scope | None] = contextvars.ContextVar("detect_scope", default=None)


def enter_request(scope: Scope) -> tuple[asyncio.Task[Any] | None, contextvars.Token[Scope | None]]:
    """Record that the current task serves `scope`; pass the result to `leave_request`."""
    task = asyncio.current_task()
    if task is not None:
        _serving[task] = scope
    return task, _scope_var.set(scope)


def leave_request(entered: tuple[asyncio.Task[Any] | None, contextvars.Token[Scope | None]]) -> None:
    task, token = entered
    if task is not None:
        _serving.pop(task, None)
    _scope_var.reset(token)


def route_template(scope: Scope) -> str | None:
    """The matched route's path template (`/items/{item_id}`), None before or without a match."""
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) else None


def describe_route(scope: Scope) -> str:
    """`POST /items/{item_id}` (the raw path when no route matched; `WS` for websockets)."""
    method = scope.get("method", "WS" if scope.get("type") == "websocket" else "")
    path = route_template(scope) or str(scope.get("path", ""))
    return f"{method} {path}".strip()


def route_of_loop(loop: asyncio.AbstractEventLoop) -> str | None:
    """The route served by the task currently running on `loop` (called from the monitor thread)."""
    try:
        task = asyncio.current_task(loop)
    except Exception:  # a loop implementation that does not support it
        return None
    if task is None:
        return None
    scope = _serving.get(task)
    if scope is None:
        get_context = getattr(task, "get_context", None)  # Python 3.12+
        scope = get_context().get(_scope_var) if get_context is not None else None
    return describe_route(scope) if scope is not None else None
