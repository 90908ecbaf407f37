"""The stall alarm: a kernel timer the heartbeat pushes forward. Margins: deadlines of 50–200 ms against
`select` timeouts of seconds, so scheduling delays on a loaded machine cannot reverse the outcome."""

from __future__ import annotations

import select
import time

import pytest

from awaitbench.detect.watchdog.alarm import open_alarm

pytestmark = pytest.mark.skipif(open_alarm() is None, reason="no timerfd on this platform")


def test_an_armed_alarm_fires_once_its_deadline_passes() -> None:
    alarm = open_alarm()
    assert alarm is not None
    try:
        alarm.arm(0.05)
        started = time.perf_counter()
        ready, _, _ = select.select([alarm], [], [], 5.0)
        assert ready == [alarm] and time.perf_counter() - started >= 0.04
        alarm.clear()
        assert select.select([alarm], [], [], 0)[0] == []  # one expiry, consumed
    finally:
        alarm.close()


def test_rearming_pushes_the_deadline_and_zero_disarms() -> None:
    alarm = open_alarm()
    assert alarm is not None
    try:
        alarm.arm(0.2)
        alarm.arm(10.0)  # a heartbeat came: the deadline moves on
        assert select.select([alarm], [], [], 0.4)[0] == []
        alarm.arm(0)
        assert select.select([alarm], [], [], 0.1)[0] == []
    finally:
        alarm.close()
