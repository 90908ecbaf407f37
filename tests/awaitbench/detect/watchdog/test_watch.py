"""watch_loop on real loops: the blocking line, running vs parked, clean code, loops in other threads,
never-awaited coroutines and unclosed resources.

Timing margins: a block reads at most one check interval (20 ms at a 100 ms threshold) short of the
time it blocked, plus scheduling noise on a shared machine; bounds are wide for that reason.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
import time
import warnings
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from awaitbench.detect.watchdog import LoopWatch, render_block, watch_loop
from tests.awaitbench.detect.watch_app import THIS_FILE, blocking_sleep, burn_cpu, line_of


def _run(body: Callable[[], object]) -> LoopWatch:
    async def scenario() -> LoopWatch:
        async with watch_loop(threshold_ms=100) as watch:
            await asyncio.sleep(0.03)
            body()
            await asyncio.sleep(0.03)
        return watch

    return asyncio.run(scenario())


def test_a_sleep_in_a_helper_is_named_at_its_line_and_parked() -> None:
    watch = _run(lambda: blocking_sleep(0.3))
    (block,) = watch.blocks
    assert (block.location.file, block.location.line) == (THIS_FILE, line_of("SLEEP"))
    assert block.location.function == "blocking_sleep"
    assert block.state == "parked", block
    assert 200 <= block.duration_ms < 3000, block.duration_ms
    assert block.samples >= 3 and block.location_share >= 0.8
    assert block.thread_name == threading.current_thread().name
    assert "time.sleep(seconds)" in render_block(block)


def test_cpu_bound_work_is_running() -> None:
    watch = _run(lambda: burn_cpu(0.3))
    (block,) = watch.blocks
    assert (block.location.file, block.location.line) == (THIS_FILE, line_of("CPU"))
    assert block.state == "running", block


def test_clean_async_code_reports_no_block_but_lag_samples() -> None:
    async def clean() -> LoopWatch:
        async with watch_loop(threshold_ms=100) as watch:
            for _ in range(20):
                await asyncio.gather(*(asyncio.sleep(0.001) for _ in range(50)))
            await asyncio.sleep(0.1)
        return watch

    watch = asyncio.run(clean())
    assert watch.blocks == ()
    assert watch.lag.samples >= 3
    assert watch.report().loops_watched == 1


def _loop_in_thread(block_s: float, blocking: threading.Event) -> threading.Thread:
    async def main() -> None:
        await asyncio.sleep(0.05)
        blocking.set()
        blocking_sleep(block_s)

    thread = threading.Thread(target=asyncio.run, args=(main(),), name="worker-loop")
    thread.start()
    return thread


def test_sync_watch_finds_a_loop_in_another_thread() -> None:
    blocking = threading.Event()
    with watch_loop(threshold_ms=100) as watch:
        thread = _loop_in_thread(0.3, blocking)
        thread.join()
    (block,) = watch.blocks
    assert block.thread_name == "worker-loop"
    assert block.location.line == line_of("SLEEP") and not block.ongoing


def test_a_block_still_going_when_the_watch_ends_is_reported_as_ongoing() -> None:
    blocking = threading.Event()
    with watch_loop(threshold_ms=100) as watch:
        thread = _loop_in_thread(1.0, blocking)
        assert blocking.wait(5)
        time.sleep(0.3)  # let the block outlast the threshold: the duration under test
    thread.join()
    (block,) = watch.blocks
    assert block.ongoing and block.location.line == line_of("SLEEP")
    assert block.duration_ms >= 100


async def forgotten() -> None:
    """Never awaited below."""


def test_never_awaited_coroutine_names_where_it_was_created() -> None:
    async def scenario() -> LoopWatch:
        async with watch_loop() as watch:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # the suite turns warnings into errors
                forgotten()  # type: ignore[unused-coroutine]  # the forgotten await the watch must name
        return watch

    (item,) = asyncio.run(scenario()).never_awaited
    assert item.coroutine == "forgotten"
    assert item.origin is not None and item.origin.file == __file__
    assert item.origin.source.startswith("forgotten()")


def test_resource_warnings_are_recorded_without_changing_what_the_user_sees() -> None:
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("ignore", ResourceWarning)  # Python's default: unseen
        filters_before = list(warnings.filters)
        with watch_loop(threshold_ms=100) as watch:
            leaked = socket.socket()
            del leaked
        assert warnings.filters == filters_before
    assert shown == []
    (leak,) = watch.resource_warnings
    assert leak.source_type == "socket" and leak.message.startswith("unclosed")


def test_a_watch_starts_once() -> None:
    watch = watch_loop(threshold_ms=100)
    with watch:
        pass
    with pytest.raises(Exception, match="already started"):
        watch.start()


def test_origin_tracking_is_put_back_on_the_calling_thread() -> None:
    before = sys.get_coroutine_origin_tracking_depth()
    with watch_loop(threshold_ms=100):
        asyncio.run(asyncio.sleep(0.1))  # a loop in this thread, found, watched, closed before the stop
    assert sys.get_coroutine_origin_tracking_depth() == before

    async def inside() -> None:
        async with watch_loop(threshold_ms=100):
            await asyncio.sleep(0.05)

    asyncio.run(inside())
    assert sys.get_coroutine_origin_tracking_depth() == before


async def _forever() -> None:
    await asyncio.sleep(30)


def test_a_task_left_pending_is_named_where_it_was_created() -> None:
    async def scenario() -> tuple[LoopWatch, asyncio.Task[None], asyncio.Task[None]]:
        async with watch_loop(leaks=("tasks",), monitor=False) as watch:
            leaked = asyncio.create_task(_forever())  # <-- TASK
            awaited = asyncio.create_task(asyncio.sleep(0))
            cancelled = asyncio.create_task(_forever())
            await awaited
            cancelled.cancel()  # being cancelled: not a leak
        leaked.cancel()
        return watch, leaked, cancelled

    watch, leaked, _ = asyncio.run(scenario())
    (item,) = watch.report().leaked_tasks
    assert (item.name, item.coroutine) == (leaked.get_name(), "_forever")
    assert item.origin is not None and (item.origin.file, item.origin.line) == (__file__, _line("TASK"))


def test_a_thread_left_running_is_named_where_it_was_started() -> None:
    stop = threading.Event()
    with watch_loop(leaks=("threads",), monitor=False) as watch:
        threading.Thread(target=stop.wait, name="poller").start()  # <-- THREAD
        finished = threading.Thread(target=int)
        finished.start()
        finished.join()
    stop.set()
    (item,) = watch.report().leaked_threads
    assert (item.name, item.target) == ("poller", "threading.Event.wait")
    assert item.origin is not None and (item.origin.file, item.origin.line) == (__file__, _line("THREAD"))


def test_strict_mode_records_a_5ms_sleep_at_its_line_whatever_its_length() -> None:
    async def scenario() -> LoopWatch:
        async with watch_loop(strict=True, monitor=False) as watch:
            blocking_sleep(0.005)
            await asyncio.to_thread(blocking_sleep, 0.005)  # another thread: allowed
        return watch

    watch = asyncio.run(scenario())
    (call,) = watch.report().blocking_calls
    assert call.call == "time.sleep(0.005)"
    assert (call.location.file, call.location.line) == (THIS_FILE, line_of("SLEEP"))
    assert call.thread_name == threading.current_thread().name


def test_strict_mode_allow_list_and_scope() -> None:
    async def scenario(**settings: object) -> LoopWatch:
        async with watch_loop(strict=True, monitor=False, **settings) as watch:
            blocking_sleep(0.001)
            with open(__file__, encoding="utf-8") as source:  # noqa: ASYNC230  (the blocking call on show)
                source.readline()
        return watch

    everything = asyncio.run(scenario()).report().blocking_calls
    assert [c.call.split("(")[0] for c in everything] == ["time.sleep", "open"]
    allowed = asyncio.run(scenario(strict_allow=("*.blocking_sleep",))).report().blocking_calls
    assert [c.call.split("(")[0] for c in allowed] == ["open"]
    elsewhere = asyncio.run(scenario(strict_scope=("some_other_package",))).report().blocking_calls
    assert elsewhere == ()


def test_strict_mode_puts_back_what_it_patched() -> None:
    sleep, recv = time.sleep, socket.socket.recv
    with watch_loop(strict=True, monitor=False):
        assert time.sleep is not sleep or sys.version_info >= (3, 13)
    assert (time.sleep, socket.socket.recv) == (sleep, recv)


def test_a_stored_coroutine_dropped_later_names_where_it_was_dropped() -> None:
    async def scenario() -> LoopWatch:
        sys.set_coroutine_origin_tracking_depth(0)  # whatever an earlier test of this thread left
        async with watch_loop() as watch:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                pending: Coroutine[Any, Any, None] | None = forgotten()
                pending = None  # <-- DROPPED
        assert not pending
        return watch

    (item,) = asyncio.run(scenario()).never_awaited
    assert item.origin is None
    assert (item.dropped_at[0].file, item.dropped_at[0].line) == (__file__, _line("DROPPED"))


def _line(marker: str) -> int:
    with open(__file__, encoding="utf-8") as source:
        return next(i for i, text in enumerate(source, 1) if text.rstrip().endswith(f"# <-- {marker}"))
