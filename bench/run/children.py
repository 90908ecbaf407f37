"""The child processes of one point: how they are specified, started, watched, read and stopped.

Three children per point (fake_llm, the variant app, Locust), all fresh. Everything that talks to them
over HTTP or waits on them lives here, so `bench.run.point` reads as the timeline of a point.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.errors import ProcessFailed
from bench.loadgen import locust_run as loadgen
from bench.measure.figures import merge_probe_snapshots
from bench.processes import ManagedProcess, ProcessSpec, awaitbench_argv, free_port
from bench.run.config import RunConfig
from bench.run.plan import PlannedPoint
from detect.probe import PROBE_DIR_ENV
from fake_llm.launch import fake_llm_argv

__all__ = [
    "RUN_DIR_ENV",
    "SAMPLE_EVERY_S",
    "BackgroundFetch",
    "PointContext",
    "ProbeClient",
    "check_alive",
    "child_specs",
    "http_json",
    "sleep_until",
    "stop_in_background",
    "stop_together",
    "wait_for_start",
]

RUN_DIR_ENV = "AWAITBENCH_RUN_DIR"  # set on every child: tells whose process it is (orphan checks)
SAMPLE_EVERY_S = 0.25
_LOCUST_START_TIMEOUT_S = 30.0
_APP_STATS_TIMEOUT_S = 1.0


@dataclass(frozen=True, kw_only=True)
class PointContext:
    """What every point of a run shares."""

    config: RunConfig
    run_dir: Path


def http_json(url: str, *, method: str = "GET", timeout_s: float = 5.0) -> Any:
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(request, timeout=timeout_s) as response:
        return json.loads(response.read() or b"{}")


def two_ports() -> tuple[int, int]:
    first = free_port()
    second = free_port()
    while second == first:
        second = free_port()
    return first, second


def check_alive(*procs: ManagedProcess) -> None:
    for proc in procs:
        if proc.returncode is not None:
            raise ProcessFailed(
                f"{proc.spec.name} exited with code {proc.returncode} during the measurement",
                stderr_tail=proc.log_tail(),
            )


def stop_in_background(procs: list[ManagedProcess], *, grace_s: float = 2.0) -> list[threading.Thread]:
    """Start stopping children on threads: each graceful shutdown takes most of a second, points add up."""
    threads = [threading.Thread(target=proc.stop, kwargs={"grace_s": grace_s}) for proc in procs]
    for thread in threads:
        thread.start()
    return threads


def stop_together(procs: list[ManagedProcess]) -> None:
    """Stop children concurrently and wait until every one is gone."""
    for thread in stop_in_background(procs):
        thread.join()
    for proc in procs:  # a thread cannot be interrupted; make sure, in this thread, that all are gone
        proc.stop(grace_s=0.5)


def sleep_until(deadline: float, *procs: ManagedProcess) -> None:
    while (remaining := deadline - time.time()) > 0:
        check_alive(*procs)
        time.sleep(min(remaining, SAMPLE_EVERY_S))


def wait_for_start(locust: ManagedProcess, servers: tuple[ManagedProcess, ...], requests_dir: Path) -> float:
    """Wait until Locust marks its test start, which it does once every server answered /health.

    Readiness is Locust's to check, not ours: once it starts the load, a blocked variant (the pitfall)
    may not answer a second /health within a second, so a readiness poll from here could fail a perfectly
    good point.
    """
    deadline = time.monotonic() + _LOCUST_START_TIMEOUT_S
    while time.monotonic() < deadline:
        started = loadgen.started_at(requests_dir)
        if started is not None:
            return started
        for proc in servers:
            if proc.returncode is not None:
                raise ProcessFailed(
                    f"{proc.spec.name} exited with code {proc.returncode} before it was ready",
                    stderr_tail=proc.log_tail(),
                )
        check_alive(locust)
        time.sleep(0.05)
    names = " and ".join(proc.spec.name for proc in servers)
    raise ProcessFailed(
        f"{names} did not both answer /health within {_LOCUST_START_TIMEOUT_S:g} s "
        "(or Locust did not start); see the logs",
        stderr_tail="\n".join(proc.log_tail() for proc in (*servers, locust)),
    )


class ProbeClient:
    """The app's probe side channel(s): one per uvicorn worker, found through their port files."""

    def __init__(self, probe_dir: Path) -> None:
        self.probe_dir = probe_dir

    def _urls(self) -> list[str]:
        ports = [p.read_text().strip() for p in sorted(self.probe_dir.glob("probe-*.port"))]
        return [f"http://127.0.0.1:{port}/" for port in ports if port.isdigit()]

    def reset(self) -> None:
        for url in self._urls():
            with contextlib.suppress(OSError, ValueError):
                http_json(url, method="POST", timeout_s=2.0)

    def read(self) -> dict[str, Any]:
        snapshots = []
        for url in self._urls():
            with contextlib.suppress(OSError, ValueError):
                snapshots.append(http_json(url, timeout_s=2.0))
        return merge_probe_snapshots(snapshots) if snapshots else {}


class BackgroundFetch:
    """Fetch a URL on a thread: the app's /app-stats may queue behind a blocked loop's backlog."""

    def __init__(self, url: str) -> None:
        self.result: dict[str, Any] = {}
        self._thread = threading.Thread(target=self._fetch, args=(url,), daemon=True)
        self._thread.start()

    def _fetch(self, url: str) -> None:
        try:
            data = http_json(url, timeout_s=_APP_STATS_TIMEOUT_S)
            self.result = data if isinstance(data, dict) else {"value": data}
        except (OSError, ValueError) as exc:
            self.result = {"error": f"/app-stats unavailable: {type(exc).__name__}"}

    def join(self) -> dict[str, Any]:
        self._thread.join(timeout=_APP_STATS_TIMEOUT_S + 1.0)
        return self.result


def child_specs(point: PlannedPoint, ctx: PointContext, tmp: Path) -> tuple[ProcessSpec, ProcessSpec, str]:
    """fake_llm and the variant app of one point, on two fresh ports; returns (fake, app, app base URL)."""
    config = ctx.config
    llm_port, app_port = two_ports()
    logs = ctx.run_dir / "logs" / point.id
    tag = {RUN_DIR_ENV: str(ctx.run_dir.resolve())}
    llm_base = f"http://127.0.0.1:{llm_port}"
    fake = ProcessSpec(
        name="fake_llm",
        argv=fake_llm_argv(
            host="127.0.0.1",
            port=llm_port,
            preset=config.preset or None,
            settings=point.scenario.upstream.fake_llm,
            origin=f"scenario {point.scenario.id}",
        ),
        env=tag,
        ready_url=f"{llm_base}/health",
        log_path=logs / "fake_llm.log",
    )
    app_argv = ["serve", point.scenario.id, point.variant.id, "--port", str(app_port), "--loop", point.loop]
    if config.probe:
        app_argv.append("--probe")
    if config.app_workers > 1:
        app_argv += ["--workers", str(config.app_workers)]
    app_env = {
        **tag,
        **point.scenario.app_env,
        "OPENAI_BASE_URL": f"{llm_base}/v1",
        "OPENAI_API_KEY": "sk-awaitbench-fake",
        PROBE_DIR_ENV: str(tmp / "probe"),
    }
    app = ProcessSpec(
        name="app",
        argv=awaitbench_argv(*app_argv),
        env=app_env,
        ready_url=f"http://127.0.0.1:{app_port}/health",
        log_path=logs / "app.log",
    )
    return fake, app, f"http://127.0.0.1:{app_port}"
