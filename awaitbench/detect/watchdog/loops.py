"""The loops a monitor watches: finding them in other threads, and each one's canary.

Finding loops patches nothing: every thread's stack is read (`sys._current_frames()`) and a thread whose
stack holds a frame of asyncio's own loop machinery (`BaseEventLoop.run_forever`, `_run_once`,
`run_until_complete`, `asyncio.Runner.run`) is running that frame's loop. This is how the pytest plugin
finds the loop of pytest-asyncio and anyio's plugin (the main thread) as well as FastAPI's TestClient
(a portal thread started per client or per request) without knowing any of them. Hooking
`asyncio.events._set_running_loop` was rejected: uvloop keeps its own reference to it from import time,
and loops already running when the watch starts would be missed. uvloop's loops are found through the
`asyncio.Runner` that `asyncio.run`, `uvloop.run` and uvicorn start them with, or through the test runner of
anyio's pytest plugin, which drives its loop (uvloop's too) with `run_until_complete`. Trio runs are found
the same way (`awaitbench.detect.watchdog.trio_watch`).

The canary: the monitor posts `call_soon_threadsafe(canary)` and notes the time; the loop thread runs
it as soon as it gets back to its scheduler and stamps the answer. A canary still unanswered after the
threshold is a blocked loop.
"""

from __future__ import annotations

import asyncio
import asyncio.base_events
import asyncio.runners
import contextlib
import sys
import threading
import time
from types import CodeType, FrameType
from typing import Any

from awaitbench.detect.watchdog.cpu import CpuTimes, ThreadCpuClock
from awaitbench.detect.watchdog.stacks import RawFrame
from awaitbench.detect.watchdog.threadpool import ThreadpoolReader, ThreadpoolReading
from awaitbench.detect.watchdog.trio_watch import trio_run_of_frame, unrolled_run_code

__all__ = ["Sample", "WatchedLoop", "running_loops"]

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


Sample = tuple[float, tuple[RawFrame, ...], CpuTimes | None]
"""(perf_counter time, the loop thread's stack, its CPU times) taken while the loop was blocked."""


class WatchedLoop:
    """One loop under watch: its thread, CPU clock, thread limiter, and the canary in flight."""

    def __init__(self, loop: asyncio.AbstractEventLoop, thread_id: int, *, origin_depth: int = 0) -> None:
        self.loop = loop
        self.thread_id = thread_id
        names = {thread.ident: thread.name for thread in threading.enumerate()}
        self.thread_name = names.get(thread_id, f"thread-{thread_id}")
        self.cpu = ThreadCpuClock(thread_id)
        self.threadpool = ThreadpoolReader()
        self._origin_depth = origin_depth
        self._previous_origin_depth: int | None = None
        self.token = 0
        self.answered_token = 0
        self.posted_at: float | None = None
        self.answered_at = 0.0
        self.samples: list[Sample] = []
        self.route: str | None = None
        self.last_threadpool_read = time.perf_counter()
        self.last_reading: ThreadpoolReading | None = None
        if thread_id == threading.get_ident():  # watching our own loop: set up now, not at the canary
            self._bind()

    def _bind(self) -> None:
        """On the loop thread, once: find its thread limiter, and turn on coroutine origin tracking
        there (the setting is per thread)."""
        self.threadpool.bind()
        if self._origin_depth:
            self._previous_origin_depth = sys.get_coroutine_origin_tracking_depth()
            if self._origin_depth > self._previous_origin_depth:
                sys.set_coroutine_origin_tracking_depth(self._origin_depth)

    def _answer(self, token: int) -> None:
        # Runs on the loop thread: stamp first, so the set-up below never counts as lag.
        if token == self.token:
            self.answered_at = time.perf_counter()
            self.answered_token = token
        if not self.threadpool.bound:
            self._bind()

    def post(self, now: float) -> bool:
        """Send a canary; False when the loop is closed."""
        self.token += 1
        self.posted_at = now
        self.samples = []
        self.route = None
        try:
            self.loop.call_soon_threadsafe(self._answer, self.token)
        except RuntimeError:  # closed between the check and the call
            return False
        return True

    @property
    def answered(self) -> bool:
        return self.posted_at is not None and self.answered_token == self.token

    def abandon(self) -> None:
        """The loop stopped: forget the canary in flight (a stale one is ignored when it runs)."""
        self.posted_at = None
        self.samples = []

    def restore_origin_tracking(self) -> None:
        """Undo the loop thread's origin-tracking depth, on that thread (directly when called from it,
        else through the loop if it still runs: a finished portal thread takes its setting with it)."""
        previous, self._previous_origin_depth = self._previous_origin_depth, None
        if previous is None:
            return
        if threading.get_ident() == self.thread_id:
            sys.set_coroutine_origin_tracking_depth(previous)
            return
        if self.loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(sys.set_coroutine_origin_tracking_depth, previous)
