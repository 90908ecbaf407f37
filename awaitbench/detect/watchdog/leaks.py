"""Leaks: asyncio tasks still pending and threads still running when a watch ends, with where they began.

Tasks: a task factory on each watched loop (wrapping the user's) notes each new task's creation stack;
a task created since by the user's code, still pending and not being cancelled, is leaked. Threads: a
non-daemon thread started since (its start seen through `audit`) and alive after a short grace.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from awaitbench.detect.watchdog.report import Frame, LeakedTask, LeakedThread
from awaitbench.detect.watchdog.stacks import (
    FrameClassifier,
    innermost_first,
    outside_detect,
    to_frames,
    walk,
)

__all__ = ["TaskLeaks", "ThreadLeaks"]

_THREAD_GRACE_S = 0.1  # a thread told to stop gets this long to finish before it counts as leaked
_CREATION_FRAMES = 8


class TaskLeaks:
    """Tasks created on the loops a watch binds to (`bind` on each loop's thread), checked at `check`."""

    def __init__(self, classifier: FrameClassifier) -> None:
        self._classifier = classifier
        self._loops: dict[int, tuple[asyncio.AbstractEventLoop, weakref.WeakSet[Any], Any]] = {}
        self._created: weakref.WeakKeyDictionary[Any, tuple[Frame, ...]] = weakref.WeakKeyDictionary()

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """On the loop's thread: note its tasks and record the creation site of new ones."""
        if id(loop) in self._loops:
            return
        existing = weakref.WeakSet(asyncio.all_tasks(loop))
        previous = loop.get_task_factory()
        self._loops[id(loop)] = (loop, existing, previous)
        created, classifier = self._created, self._classifier

        def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> Any:
            task = (
                previous(loop, coro, **kwargs)
                if previous is not None
                else asyncio.Task(coro, loop=loop, **kwargs)
            )
            created[task] = innermost_first(sys._getframe(1), classifier, _CREATION_FRAMES)
            return task

        loop.set_task_factory(factory)

    def check(self) -> tuple[LeakedTask, ...]:
        """The leaked tasks of every loop bound, their task factories put back. From a loop's thread
        while it runs (`async with watch_loop()`, the plugin's `async def` tests), or from any thread
        once it stopped (the current task of a running loop is not a leak)."""
        leaked: list[LeakedTask] = []
        for bound, existing, previous in self._loops.values():
            if bound.is_closed():
                continue
            bound.set_task_factory(previous)
            for task in _pending(bound):
                if task in existing or task.cancelling():
                    continue
                created = self._created.get(task, ())
                if created and not any(frame.user_code for frame in created):
                    continue  # a library's own background task
                leaked.append(self._describe(task, created))
        self._loops.clear()
        return tuple(leaked)

    def _describe(self, task: asyncio.Task[Any], created: tuple[Frame, ...]) -> LeakedTask:
        coro = task.get_coro()
        name = getattr(coro, "__qualname__", None) or type(coro).__qualname__
        stack = task.get_stack(limit=1)
        waiting = to_frames(walk(stack[0], 1), self._classifier)[0] if stack else None
        return LeakedTask(name=task.get_name(), coroutine=name, created_at=created, waiting_at=waiting)


def _pending(loop: asyncio.AbstractEventLoop) -> list[asyncio.Task[Any]]:
    """`asyncio.all_tasks(loop)` from any thread (it retries while the task set changes)."""
    current = asyncio.current_task(loop)
    return [task for task in asyncio.all_tasks(loop) if task is not current and not task.done()]


class ThreadLeaks:
    """Threads started between `start` and `check`; `started_at` is fed by the start hook."""

    def __init__(self, classifier: FrameClassifier, ignore: Callable[[threading.Thread], bool]) -> None:
        self._classifier = classifier
        self._ignore = ignore
        self._existing: set[int] = set()
        self._started: dict[int, tuple[Frame, ...]] = {}

    def start(self) -> None:
        self._existing = {id(thread) for thread in threading.enumerate()}

    def on_thread_start(self, thread: threading.Thread | None, frame: Any) -> None:
        """A thread is being started (any thread's hook); `frame` is the caller of `Thread.start`."""
        if thread is not None and len(self._started) < 10_000:
            self._started[id(thread)] = innermost_first(frame, self._classifier, _CREATION_FRAMES)

    def check(self) -> tuple[LeakedThread, ...]:
        candidates = [
            thread
            for thread in threading.enumerate()
            if id(thread) not in self._existing and not thread.daemon and not self._ignore(thread)
        ]
        deadline = time.monotonic() + _THREAD_GRACE_S
        for thread in candidates:
            thread.join(timeout=max(deadline - time.monotonic(), 0.0))
        frames = sys._current_frames()
        return tuple(self._describe(thread, frames) for thread in candidates if thread.is_alive())

    def _describe(self, thread: threading.Thread, frames: dict[int, Any]) -> LeakedThread:
        target = getattr(thread, "_target", None)  # private, but the only place Thread keeps it
        name = (
            f"{getattr(target, '__module__', '?')}.{getattr(target, '__qualname__', '?')}" if target else None
        )
        frame = frames.get(thread.ident) if thread.ident is not None else None
        running = innermost_first(outside_detect(frame), self._classifier, 1) if frame is not None else ()
        return LeakedThread(
            name=thread.name,
            target=name,
            started_at=self._started.get(id(thread), ()),
            running_at=running[0] if running else None,
        )
