"""Finding the asyncio loops running in the threads of this process (the monitor's `discover` mode).

Finding loops patches nothing: every thread's stack is read (`sys._current_frames()`) and a thread whose
stack holds a frame of asyncio's own loop machinery (`BaseEventLoop.run_forever`, `_run_once`,
`run_until_complete`, `asyncio.Runner.run`) is running that frame's loop. This is how the pytest plugin
finds the loop of pytest-asyncio and anyio's plugin (the main thread) as well as FastAPI's TestClient
(a portal thread started per client or per request) without knowing any of them. Hooking
`asyncio.events._set_running_loop` was rejected: uvloop keeps its own reference to it from import time,
and loops already running when the watch starts would be missed. uvloop's loops are found through the
`asyncio.Runner` that `asyncio.run`, `uvloop.run` and uvicorn start them with.
"""

from __future__ import annotations

import asyncio
import asyncio.base_events
import asyncio.runners
import sys
from types import CodeType, FrameType
from typing import Any

__all__ = ["running_loops"]

_LOOP_SELF_CODES: frozenset[CodeType] = frozenset(
    method.__code__
    for method in (
        asyncio.base_events.BaseEventLoop.run_forever,
        vars(asyncio.base_events.BaseEventLoop)["_run_once"],  # private, so not in the type stubs
        asyncio.base_events.BaseEventLoop.run_until_complete,
    )
)
_RUNNER_CODE: CodeType = asyncio.runners.Runner.run.__code__


def _loop_of_stack(frame: FrameType | None) -> asyncio.AbstractEventLoop | None:
    while frame is not None:
        code = frame.f_code
        if code in _LOOP_SELF_CODES or code is _RUNNER_CODE:
            owner: Any = frame.f_locals.get("self")
            loop = owner if code in _LOOP_SELF_CODES else getattr(owner, "_loop", None)
            if isinstance(loop, asyncio.AbstractEventLoop) and loop.is_running():
                return loop
        frame = frame.f_back
    return None


def running_loops(*, skip_thread: int | None = None) -> dict[asyncio.AbstractEventLoop, int]:
    """Every asyncio loop running in a thread of this process, with that thread's id."""
    found: dict[asyncio.AbstractEventLoop, int] = {}
    for thread_id, frame in sys._current_frames().items():
        if thread_id == skip_thread:
            continue
        loop = _loop_of_stack(frame)
        if loop is not None:
            found[loop] = thread_id
    return found
