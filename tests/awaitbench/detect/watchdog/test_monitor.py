"""The monitor's cost design: a healthy loop beats for itself and the monitor thread sleeps; a late beat
wakes it. Margins: 0.6 s of a healthy loop may wake the monitor at most a few times (its periodic wake is
once a second; without the alarm it would wake every 60 ms, 10 times).

build_block's attribution from samples, as pure logic (stacks built by hand, a real idle loop): the
patterns come from real suites (docs/detect.md). httpx's test server, a uvicorn loop in a thread, was
reported blocked "at selectors.py:468 in EpollSelector.select" while the test's own thread held the GIL.
"""

from __future__ import annotations

import asyncio
import selectors
import subprocess
import threading
import time

import pytest

from awaitbench.detect.watchdog.alarm import open_alarm
from awaitbench.detect.watchdog.config import FrameFilter
from awaitbench.detect.watchdog.gc_pauses import GcPause, GcPauses
from awaitbench.detect.watchdog.heartbeat import Sample, WatchedLoop
from awaitbench.detect.watchdog.monitor import Monitor, MonitorSettings, WatchListener, build_block
from awaitbench.detect.watchdog.report import Block
from awaitbench.detect.watchdog.stacks import FrameClassifier
from tests.awaitbench.detect.watch_app import blocking_sleep

needs_alarm = pytest.mark.skipif(open_alarm() is None, reason="no timerfd on this platform")


class Seen(WatchListener):
    def __init__(self) -> None:
        self.lags: list[float] = []
        self.blocks: list[Block] = []

    def on_lag(self, lag_s: float) -> None:
        self.lags.append(lag_s)

    def on_block(self, block: Block) -> None:
        self.blocks.append(block)


def _watch(body: object) -> tuple[Monitor, Seen]:
    seen = Seen()
    monitor = Monitor(
        MonitorSettings(threshold_s=0.1, interval_s=0.02), [seen], FrameClassifier(FrameFilter())
    )

    async def scenario() -> None:
        monitor.attach(asyncio.get_running_loop())
        monitor.start()
        await body()  # type: ignore[operator]
        monitor.stop()

    asyncio.run(scenario())
    return monitor, seen


@needs_alarm
def test_a_healthy_loop_lets_the_monitor_sleep_and_still_measures_lag() -> None:
    async def healthy() -> None:
        for _ in range(60):  # ~0.6 s of a loop that yields every 10 ms
            await asyncio.sleep(0.01)

    monitor, seen = _watch(healthy)
    assert monitor.wakes <= 3, monitor.wakes
    assert len(seen.lags) >= 10 and seen.blocks == []


@needs_alarm
def test_a_late_beat_wakes_the_monitor_to_sample_the_stuck_line() -> None:
    async def stuck() -> None:
        await asyncio.sleep(0.05)
        blocking_sleep(0.4)
        await asyncio.sleep(0.05)

    _, seen = _watch(stuck)
    (block,) = seen.blocks
    assert block.location.function == "blocking_sleep" and block.samples >= 3
    assert 300 <= block.duration_ms < 3000, block.duration_ms


SELECT = ("/usr/lib/python3.11/selectors.py", 468, "EpollSelector.select", "selectors")
TRIO_EPOLL = (
    "/venv/lib/python3.11/site-packages/trio/_core/_io_epoll.py",
    245,
    "EpollIOManager.get_events",
    "trio._core._io_epoll",
)
RUN_ONCE = (
    "/usr/lib/python3.11/asyncio/base_events.py",
    1898,
    "BaseEventLoop._run_once",
    "asyncio.base_events",
)
TRIO_RUN = ("/venv/lib/python3.11/site-packages/trio/_core/_run.py", 2400, "unrolled_run", "trio._core._run")
HANDLER = ("/srv/app/routes.py", 12, "handler", "app.routes")
COMMUNICATE = (subprocess.__file__, 2071, "Popen._communicate", "subprocess")
STDLIB_SELECT = (selectors.__file__, 468, "EpollSelector.select", "selectors")  # library code, as sampled
CLASSIFIER = FrameClassifier(FrameFilter())


def _late(*stacks: tuple[tuple[str, int, str, str], ...]) -> tuple[WatchedLoop, float, list[Sample]]:
    """A loop (closed: only its name is read), when its beat was due, and a sample every 50 ms since."""
    loop = asyncio.new_event_loop()
    target = WatchedLoop(loop, threading.get_ident(), interval_s=0.01, stall_after_s=0.05, alarm=None)
    loop.close()
    due = time.perf_counter() - 0.2
    return target, due, [(due + 0.05 * (i + 1), stack, None) for i, stack in enumerate(stacks)]


def test_a_loop_sampled_only_at_its_idle_point_was_kept_waiting_not_blocked_there() -> None:
    for run, idle in ((RUN_ONCE, SELECT), (TRIO_RUN, TRIO_EPOLL)):  # asyncio's selector, Trio's epoll
        target, due, samples = _late((run, idle), (run, idle))
        block = build_block(target, 0.2, due, samples, CLASSIFIER, ongoing=False)
        assert block.location.file == "<idle loop kept waiting>" and block.kept_waiting, idle
        assert block.cause is not None and "another thread held the GIL" in block.cause


def test_a_select_called_by_blocking_code_is_no_idle_point() -> None:
    """`subprocess.run` in a handler waits in a selector's select(), called by `Popen._communicate`."""
    target, due, samples = _late(
        (RUN_ONCE, HANDLER, COMMUNICATE, STDLIB_SELECT), (RUN_ONCE, HANDLER, COMMUNICATE, STDLIB_SELECT)
    )
    block = build_block(target, 0.2, due, samples, CLASSIFIER, ongoing=False)
    assert not block.kept_waiting and block.location.line == 12


def test_a_sample_in_the_users_code_keeps_its_line() -> None:
    target, due, samples = _late((RUN_ONCE, SELECT), (RUN_ONCE, HANDLER), (RUN_ONCE, HANDLER))
    block = build_block(target, 0.2, due, samples, CLASSIFIER, ongoing=False)
    assert (block.location.file, block.location.line, block.cause) == ("/srv/app/routes.py", 12, None)
    assert not (block.kept_waiting or block.collected)  # a block the plugin fails the test for


def test_time_the_monitor_was_held_off_gives_the_next_sample_no_weight() -> None:
    """httpx's `b"*" * 100 MB` then a `@property`: the sample after the hold shows the property line."""
    prop = ("/srv/app/routes.py", 30, "Server.url", "app.routes")
    target, due, samples = _late((RUN_ONCE, HANDLER))
    samples.append((due + 0.15, (RUN_ONCE, prop), None))  # 100 ms after the first sample ...
    held_off = ((due + 0.051, due + 0.149),)  # ... all of which the monitor could not run
    assert build_block(target, 0.2, due, samples, CLASSIFIER, ongoing=False).location.line == 30  # by time
    block = build_block(target, 0.2, due, samples, CLASSIFIER, ongoing=False, held_off=held_off)
    assert block.location.line == 12 and block.unsampled_ms >= 95


def test_a_collection_that_waited_more_than_it_worked_says_the_machine_was_short_of_cpu() -> None:
    """A generation-0 collection that lasted 190 ms of wall time with 10 ms of CPU (seen at a load of 10)."""
    target, due, samples = _late()
    pauses = GcPauses()
    pauses._recent.append(GcPause(target.thread_id, 0, due, due + 0.19, 0.01))  # as its gc callback would
    block = build_block(target, 0.2, due, samples, CLASSIFIER, ongoing=False, gc_pauses=pauses)
    assert block.location.file == "<garbage collection>" and block.collected  # reported, fails no test
    assert block.cause == (
        "garbage collection, generation 0: 190 ms, 10 ms of it on a CPU: the machine was short of CPU "
        "(or its finalizers let other threads run)"
    )
    pauses._recent[0] = pauses._recent[0]._replace(cpu_s=0.18)
    block = build_block(target, 0.2, due, samples, CLASSIFIER, ongoing=False, gc_pauses=pauses)
    assert block.cause == "garbage collection, generation 0: 190 ms"
