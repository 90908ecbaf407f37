"""CPU of a process tree over a window: the busiest process's mean, not an average with idle parents."""

from __future__ import annotations

import subprocess
import sys
import time

import psutil

from bench.measure.sampling import TreeTracker


def test_a_busy_child_of_an_idle_parent_is_seen_as_busy() -> None:
    # Like Locust with --processes: an idle master and a saturated worker.
    busy = f"{sys.executable} -c 'while True: pass'"
    parent = subprocess.Popen(["sh", "-c", f"{busy} & wait"])
    try:
        deadline = time.monotonic() + 10
        while len(psutil.Process(parent.pid).children()) < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        tracker = TreeTracker(parent.pid)
        tracker.start()
        for _ in range(8):
            time.sleep(0.125)
            tracker.sample()
        cpu = tracker.finish()
    finally:
        for child in psutil.Process(parent.pid).children(recursive=True):
            child.kill()
        parent.kill()
        parent.wait()
    assert cpu.processes == 2
    averaged = cpu.cpu_percent / cpu.processes
    # The worker did (almost) all of the tree's work; whatever the machine's load, it is twice the average.
    assert cpu.busiest_process_percent > 10
    assert cpu.busiest_process_percent >= 1.8 * averaged
