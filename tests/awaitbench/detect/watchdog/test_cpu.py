"""Running vs parked from another thread: a spinning thread reads as running, a sleeping one as parked,
whatever else the machine is doing (run-queue waits count as running)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from awaitbench.detect.watchdog.cpu import RUNNING_FRACTION, ThreadCpuClock, classify
from tests.awaitbench.detect.watch_app import blocking_sleep, burn_cpu


def _busy_fraction(target: Callable[[], object]) -> float | None:
    ready = threading.Event()

    def run() -> None:
        ready.set()
        target()

    thread = threading.Thread(target=run)
    thread.start()
    ready.wait(5)
    clock = ThreadCpuClock(thread.ident or 0)
    before, started = clock.read(), time.perf_counter()
    time.sleep(0.2)  # the measured window, not synchronisation
    after, elapsed = clock.read(), time.perf_counter() - started
    thread.join()
    if before is None or after is None:
        return None
    return (after.wanted_s - before.wanted_s) / elapsed


def test_spinning_thread_is_running_sleeping_thread_is_parked() -> None:
    spinning = _busy_fraction(lambda: burn_cpu(0.5))
    sleeping = _busy_fraction(lambda: blocking_sleep(0.5))
    assert classify(spinning) == "running", spinning
    assert classify(sleeping) == "parked", sleeping


def test_classify_thresholds() -> None:
    assert classify(None) == "unknown"
    assert classify(RUNNING_FRACTION) == "running"
    assert classify(0.1) == "parked"
