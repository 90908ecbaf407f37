"""Is fake_llm still answering, and how much memory does it hold? A health poller in its own process.

Why a process of its own: the abuse tests send and read large bodies; a poller thread in the test process
would wait for the GIL behind that work and blame the server for its own delays. `health_probe.py` GETs
`/health` every 20 ms and logs when each probe started (CLOCK_MONOTONIC, comparable with this process's
`time.monotonic()`), how long it took, whether it was a 200, and the server's RSS.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from tests.fake_llm import health_probe
from tests.waiting import wait_until

__all__ = ["AFTER_PROBES", "HEALTH_BUDGET_MS", "HealthPoller", "Probe"]

HEALTH_BUDGET_MS = 100.0
"""The issue's bound for `/health`, during and after any abusive request."""
AFTER_PROBES = 3
"""Probes that must have started after a case ends: the "after" half of "during and after"."""


@dataclass(frozen=True)
class Probe:
    started: float
    latency_ms: float
    ok: bool
    rss_bytes: int


class HealthPoller:
    """The poller process for one server, and what it saw in a time window.

    Args:
        url: the server's base URL (`http://127.0.0.1:P`).
        pid: the server's process id (for its RSS).
        out: the file the poller writes.
    """

    def __init__(self, url: str, pid: int, out: Path) -> None:
        self._out = out
        out.write_text("")
        self._process = subprocess.Popen([sys.executable, health_probe.__file__, url, str(pid), str(out)])

    def __enter__(self) -> HealthPoller:
        self.wait_for_probes_after(time.monotonic())
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._process.terminate()
        self._process.wait(timeout=10)

    def probes(self) -> list[Probe]:
        probes = []
        for line in self._out.read_text().splitlines():
            fields = line.split()
            if len(fields) == 4:  # a line still being written has fewer
                probes.append(Probe(float(fields[0]), float(fields[1]), fields[2] == "1", int(fields[3])))
        return probes

    def wait_for_probes_after(self, moment: float, count: int = AFTER_PROBES, timeout_s: float = 30) -> None:
        """Wait until `count` probes that started after `moment` have finished."""

        def finished_after() -> int:
            if self._process.poll() is not None:
                raise AssertionError(f"the health poller exited with {self._process.returncode}")
            return sum(p.started > moment for p in self.probes())

        wait_until(
            finished_after, timeout_s, f"{count} /health probes after {moment}", ready=lambda n: n >= count
        )

    def window(self, start: float, end: float) -> list[Probe]:
        """The probes running at any time in [start, end], then the first `AFTER_PROBES` started after it."""
        self.wait_for_probes_after(end)
        seen = [p for p in self.probes() if p.started + p.latency_ms / 1000 >= start]
        return [p for p in seen if p.started <= end] + [p for p in seen if p.started > end][:AFTER_PROBES]
