"""Trio runs, watched like asyncio loops: found from the threads' stacks, pinged through their entry queue."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Callable
from types import CodeType, FrameType
from typing import Any, cast

__all__ = ["TrioRun", "trio_run_of_frame", "unrolled_run_code"]

_log = logging.getLogger("awaitbench.detect.watchdog")


def unrolled_run_code() -> CodeType | None:
    """The code of Trio's run loop, once Trio is imported (None before: no run can exist)."""
    module = sys.modules.get("trio._core._run")
    function = getattr(module, "unrolled_run", None)
    code = getattr(function, "__code__", None)
    return code if isinstance(code, CodeType) else None


class TrioRun:
    """One Trio run where the monitor expects an asyncio loop: it posts callbacks to the run's entry
    queue and asks whether the run goes on. It is no `asyncio.AbstractEventLoop`: code that looks for
    asyncio loops among live objects and closes them (anyio's own tests do) must never find it."""

    def __init__(self, runner: Any) -> None:
        self._runner = runner
        self._queue = runner.entry_queue

    def call_soon_threadsafe(
        self, callback: Callable[..., object], *args: Any, context: object = None
    ) -> None:
        """Raises:
        RuntimeError: the run has finished (trio.RunFinishedError is one).
        """
        self._queue.run_sync_soon(_guarded, callback, args)

    def call_later(
        self, delay: float, callback: Callable[..., object], *args: Any, context: object = None
    ) -> None:
        """From inside the run (the heartbeat re-schedules itself from its own beat): a system task that
        sleeps `delay`, then calls back. Nothing if the run is ending."""
        from trio.lowlevel import spawn_system_task

        with contextlib.suppress(RuntimeError):
            spawn_system_task(_after, delay, callback, args)

    def is_running(self) -> bool:
        return not self._queue.done

    def is_closed(self) -> bool:
        return bool(self._queue.done)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TrioRun) and other._runner is self._runner

    def __hash__(self) -> int:
        return id(self._runner)

    def __repr__(self) -> str:
        return f"<TrioRun guest={getattr(self._runner, 'is_guest', None)}>"


def _guarded(callback: Callable[..., object], args: tuple[Any, ...]) -> None:
    # An exception escaping a callback of the entry queue or a system task crashes the user's run.
    try:
        callback(*args)
    except Exception:
        _log.exception("loop watch callback %r failed in a Trio run", callback)


async def _after(delay: float, callback: Callable[..., object], args: tuple[Any, ...]) -> None:
    import trio

    await trio.sleep(delay)
    _guarded(callback, args)


def trio_run_of_frame(frame: FrameType) -> asyncio.AbstractEventLoop | None:
    """The run of an `unrolled_run` frame, if it is still going."""
    runner = frame.f_locals.get("runner")
    if runner is None or getattr(getattr(runner, "entry_queue", None), "done", True):
        return None
    # The monitor calls only the methods TrioRun defines: typed as the loops it watches beside it.
    return cast(asyncio.AbstractEventLoop, TrioRun(runner))
