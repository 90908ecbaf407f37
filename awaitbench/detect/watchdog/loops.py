"""Finding the asyncio loops running in the threads of this process (the monitor's `discover` mode)."""

from __future__ import annotations

import asyncio
import asyncio.base_events
import asyncio.runners
import sys
from types import CodeType, FrameType
from typing import Any

from awaitbench.detect.watchdog.trio_watch import trio_run_of_frame, unrolled_run_code

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
_ANYIO_TEST_RUNNER_METHODS = ("run_test", "run_fixture", "run_asyncgen_fixture")


def _anyio_test_runner_codes() -> frozenset[CodeType]:
    """The methods by which anyio's pytest plugin runs a test or fixture on its asyncio backend (uvloop
    included): `self._runner` is an `asyncio.Runner` whose loop runs them (empty before anyio is loaded)."""
    runner = getattr(sys.modules.get("anyio._backends._asyncio"), "TestRunner", None)
    methods = (getattr(runner, name, None) for name in _ANYIO_TEST_RUNNER_METHODS)
    return frozenset(code for m in methods if isinstance(code := getattr(m, "__code__", None), CodeType))


def _loop_of_frame(frame: FrameType, anyio_codes: frozenset[CodeType]) -> asyncio.AbstractEventLoop | None:
    code = frame.f_code
    owner: Any = frame.f_locals.get("self")
    if code in _LOOP_SELF_CODES:
        return owner  # type: ignore[no-any-return]
    if code is _RUNNER_CODE:
        return getattr(owner, "_loop", None)
    if code in anyio_codes:
        return getattr(getattr(owner, "_runner", None), "_loop", None)
    return None


def _loop_of_stack(
    frame: FrameType | None, anyio_codes: frozenset[CodeType], trio_code: CodeType | None
) -> asyncio.AbstractEventLoop | None:
    watched = _LOOP_SELF_CODES | anyio_codes | {_RUNNER_CODE}
    while frame is not None:
        code = frame.f_code
        if code is trio_code:
            return trio_run_of_frame(frame)
        if code in watched:
            loop = _loop_of_frame(frame, anyio_codes)
            if isinstance(loop, asyncio.AbstractEventLoop) and loop.is_running():
                return loop
        frame = frame.f_back
    return None


def running_loops(*, skip_thread: int | None = None) -> dict[asyncio.AbstractEventLoop, int]:
    """Every asyncio loop running in a thread of this process, with that thread's id."""
    found: dict[asyncio.AbstractEventLoop, int] = {}
    anyio_codes, trio_code = _anyio_test_runner_codes(), unrolled_run_code()
    for thread_id, frame in sys._current_frames().items():
        if thread_id == skip_thread:
            continue
        loop = _loop_of_stack(frame, anyio_codes, trio_code)
        if loop is not None:
            found[loop] = thread_id
    return found
