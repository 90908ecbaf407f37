"""The monitor's cost design: a healthy loop beats for itself and the monitor thread sleeps; a late beat
wakes it. Margins: 0.6 s of a healthy loop may wake the monitor at most a few times (its periodic wake is
once a second; without the alarm it would wake every 60 ms, 10 times)."""

from __future__ import annotations

import asyncio

import pytest

from awaitbench.detect.watchdog.alarm import open_alarm
from awaitbench.detect.watchdog.config import FrameFilter
from awaitbench.detect.watchdog.monitor import Monitor, MonitorSettings, WatchListener
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
