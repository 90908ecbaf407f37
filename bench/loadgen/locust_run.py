"""The Locust command line for one point, and its CPU-warning markers (its request logs and start marker
have the format both generators share: `bench.loadgen.logs`).

Locust always runs as a subprocess (`python -m locust`): importing it would monkey-patch this process.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

from scenarios.model import RequestSpec

__all__ = [
    "LOCUSTFILE",
    "STOP_TIMEOUT_S",
    "LocustPlan",
    "cpu_warning_seen",
    "locust_argv",
    "locust_env",
]

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
# Seconds Locust lets in-flight requests finish once stopped: none. Locust is stopped after the window
# ends, so a request still in flight then completes outside the window and would never count; waiting
# for it only made every point of a slow variant a second longer.
STOP_TIMEOUT_S = 0.0
# Locust's own --run-time is only a safety net: the orchestrator stops it (SIGTERM) when the window
# ends, so it never runs unattended if the orchestrator is delayed or dies. It includes the time the
# locustfile may wait for the app and fake_llm to become ready (they start together).
_SAFETY_S = 10.0 + 60.0


@dataclass(frozen=True, kw_only=True)
class LocustPlan:
    """One Locust run: `users` closed-loop users against `host` for warm-up + window (then stopped)."""

    host: str
    users: int
    warmup_s: float
    window_s: float
    processes: int = 1

    @property
    def run_time_s(self) -> int:
        return math.ceil(self.warmup_s + self.window_s + _SAFETY_S)

    @property
    def spawn_rate(self) -> float:
        # All users within ~0.25 s (inside any warm-up): the window must see the full load.
        return float(max(self.users * 4, 1))


def locust_argv(plan: LocustPlan) -> list[str]:
    argv = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        plan.host,
        "--users",
        str(plan.users),
        "--spawn-rate",
        f"{plan.spawn_rate:g}",
        "--run-time",
        f"{plan.run_time_s}s",
        "--stop-timeout",
        f"{STOP_TIMEOUT_S:g}",
        "--only-summary",
        "--exit-code-on-error",
        "0",
    ]
    if plan.processes != 1:
        argv += ["--processes", str(plan.processes)]
    return argv


def locust_env(
    request: RequestSpec, requests_dir: Path, *, ready_urls: tuple[str, ...] = ()
) -> dict[str, str]:
    """Environment of the Locust process: the request to send, where to write, what to wait for."""
    payload = {
        "method": request.method,
        "path": request.path,
        "json_body": request.json_body,
        "stream": request.stream,
    }
    return {
        "AWAITBENCH_REQUEST": json.dumps(payload),
        "AWAITBENCH_REQUESTS_DIR": str(requests_dir),
        "AWAITBENCH_READY_URLS": ",".join(ready_urls),
    }


def cpu_warning_seen(requests_dir: Path, *, start_s: float, end_s: float) -> bool:
    """Did Locust's own CPU monitor fire during [start_s, end_s]? (Start-up spikes do not count.)"""
    for marker in requests_dir.glob("cpu-warning-*"):
        for line in marker.read_text().splitlines():
            stamp, _, _ = line.partition(",")
            try:
                if start_s <= float(stamp) <= end_s:
                    return True
            except ValueError:
                continue
    return False
