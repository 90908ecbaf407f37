"""Trio runs, watched like asyncio loops: found from the threads' stacks, pinged through their entry queue.

A thread running Trio (`trio.run`, or a guest run such as anyio's trio backend, during a tick) has the frame
of `trio._core._run.unrolled_run` on its stack, whose `runner` local is the run. Its entry queue (what
`TrioToken.run_sync_soon` and `trio.from_thread` use) is thread-safe and its callbacks run between task
steps, so it carries the monitor's canary exactly as `call_soon_threadsafe` does for asyncio: a task step
that holds the thread delays the canary, and the stack samples taken meanwhile name the line. Nothing runs
inside the Trio run to set this up, so a run found in the middle of a block is measured from then on.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from types import CodeType, FrameType
from typing import Any, cast

__all__ = ["TrioRun", "trio_run_of_frame", "unrolled_run_code"]


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
        self._queue.run_sync_soon(callback, *args)

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


def trio_run_of_frame(frame: FrameType) -> asyncio.AbstractEventLoop | None:
    """The run of an `unrolled_run` frame, if it is still going."""
    runner = frame.f_locals.get("runner")
    if runner is None or getattr(getattr(runner, "entry_queue", None), "done", True):
        return None
    # The monitor calls only the methods TrioRun defines: typed as the loops it watches beside it.
    return cast(asyncio.AbstractEventLoop, TrioRun(runner))
