"""A Trio run found from its thread's stack: watched like an asyncio loop, yet never taken for one."""

from __future__ import annotations

import asyncio
import threading

import trio

from awaitbench.detect.watchdog.loops import running_loops
from awaitbench.detect.watchdog.trio_watch import TrioRun


def test_a_trio_run_is_found_and_is_no_asyncio_loop_for_code_that_closes_every_loop() -> None:
    # anyio's test_main_task_name closes every asyncio.AbstractEventLoop among gc.get_objects(): the
    # run's stand-in must not be one, or that test fails (NotImplementedError from close()).
    stepping, done = threading.Event(), threading.Event()

    async def main() -> None:
        stepping.set()
        done.wait(timeout=10.0)  # a task step holding the thread: the run loop's frame is on the stack

    thread = threading.Thread(target=trio.run, args=(main,))
    thread.start()
    try:
        assert stepping.wait(timeout=10.0)
        found = running_loops()
    finally:
        done.set()
        thread.join(timeout=10.0)
    runs: list[object] = [loop for loop, thread_id in found.items() if thread_id == thread.ident]
    assert len(runs) == 1, found
    assert not isinstance(runs[0], asyncio.AbstractEventLoop)
    assert type(runs[0]) is TrioRun
