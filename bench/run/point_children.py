"""The children of one point (fake_llm, the variant app, the load generator: Locust for closed-loop users, the
open-loop generator for an offered rate), all fresh: how they are specified, watched and read, so that
`bench.run.point` reads as the timeline of a point (`bench.processes` starts and stops them).
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from awaitbench.detect.probe import LAG_SNAPSHOT, PROBE_DIR_ENV
from bench.errors import ProcessFailed
from bench.loadgen import locust_run, open_loop_run
from bench.loadgen.logs import started_at
from bench.measure.figures import merge_probe_snapshots
from bench.processes import ManagedProcess, ProcessSpec, awaitbench_argv, free_ports, http_json
from bench.run.config import RunConfig
from bench.run.plan import PlannedPoint
from fake_llm.launch import fake_llm_argv

__all__ = [
    "DATABASE_URL_ENV",
    "RUN_DIR_ENV",
    "SAMPLE_EVERY_S",
    "BackgroundFetch",
    "PointContext",
    "ProbeClient",
    "check_alive",
    "child_specs",
    "generator_spec",
    "generator_stop_grace_s",
    "sleep_until",
    "wait_for_start",
]

DATABASE_URL_ENV = "DATABASE_URL"  # what a database scenario's app reads, as a service does
RUN_DIR_ENV = "AWAITBENCH_RUN_DIR"  # set on every child: tells whose process it is (orphan checks)
SAMPLE_EVERY_S = 0.25
_LOCUST_START_TIMEOUT_S = 30.0
_APP_STATS_TIMEOUT_S = 1.0


@dataclass(frozen=True, kw_only=True)
class PointContext:
    """What every point of a run shares."""

    config: RunConfig
    run_dir: Path
    database_url: str | None = None  # the run's seeded PostgreSQL, for the scenarios that use one


def check_alive(*procs: ManagedProcess) -> None:
    for proc in procs:
        proc.check_alive("during the measurement")


def sleep_until(deadline: float, *procs: ManagedProcess) -> None:
    while (remaining := deadline - time.time()) > 0:
        check_alive(*procs)
        time.sleep(min(remaining, SAMPLE_EVERY_S))


def wait_for_start(
    generator: ManagedProcess, servers: tuple[ManagedProcess, ...], requests_dir: Path
) -> float:
    """Wait until the load generator marks its start, which it does once every server answered /health.

    Readiness is the generator's to check, not ours: once it starts the load, a blocked variant (the
    pitfall) may not answer a second /health within a second, so a readiness poll from here could fail a
    perfectly good point.
    """
    deadline = time.monotonic() + _LOCUST_START_TIMEOUT_S
    while time.monotonic() < deadline:
        started = started_at(requests_dir)
        if started is not None:
            return started
        for proc in servers:
            proc.check_alive("while starting")
        check_alive(generator)
        time.sleep(0.05)
    names = " and ".join(proc.spec.name for proc in servers)
    raise ProcessFailed(
        f"{names} did not both answer /health within {_LOCUST_START_TIMEOUT_S:g} s "
        f"(or {generator.spec.name} did not start); see the logs",
        stderr_tail="\n".join(proc.log_tail() for proc in (*servers, generator)),
    )


class ProbeClient:
    """The app's probe side channel(s): one per uvicorn worker, found through their port files."""

    def __init__(self, probe_dir: Path) -> None:
        self.probe_dir = probe_dir

    def _urls(self) -> list[str]:
        ports = [p.read_text().strip() for p in sorted(self.probe_dir.glob("probe-*.port"))]
        return [f"http://127.0.0.1:{port}" for port in ports if port.isdigit()]

    def reset(self) -> None:
        for url in self._urls():
            with contextlib.suppress(ProcessFailed):
                http_json(f"{url}/reset", method="POST", timeout_s=2.0)

    def read(self) -> dict[str, Any]:
        snapshots = []
        for url in self._urls():
            with contextlib.suppress(ProcessFailed, ValueError):
                snapshot = LAG_SNAPSHOT.validate_python(http_json(f"{url}/snapshot", timeout_s=2.0))
                snapshots.append(asdict(snapshot))
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
        except ProcessFailed as exc:
            self.result = {"error": f"/app-stats unavailable: {type(exc.__cause__).__name__}"}

    def join(self) -> dict[str, Any]:
        self._thread.join(timeout=_APP_STATS_TIMEOUT_S + 1.0)
        return self.result


def child_specs(point: PlannedPoint, ctx: PointContext, tmp: Path) -> tuple[ProcessSpec, ProcessSpec, str]:
    """fake_llm and the variant app of one point, on two fresh ports; returns (fake, app, app base URL)."""
    config = ctx.config
    llm_port, app_port = free_ports(2)
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
    if point.scenario.database is not None and ctx.database_url is not None:
        app_env[DATABASE_URL_ENV] = ctx.database_url
    app = ProcessSpec(
        name="app",
        argv=awaitbench_argv(*app_argv),
        env=app_env,
        ready_url=f"http://127.0.0.1:{app_port}/health",
        log_path=logs / "app.log",
        # Open loop: the app keeps off the generator's core, whose lateness would be blamed on it.
        cpu_affinity=open_loop_run.cpu_split().app if point.rate_rps is not None else None,
    )
    return fake, app, f"http://127.0.0.1:{app_port}"


def generator_spec(
    point: PlannedPoint,
    ctx: PointContext,
    *,
    app_base: str,
    requests_dir: Path,
    ready_urls: tuple[str, ...],
    env: dict[str, str],
) -> ProcessSpec:
    """The load generator of a point: Locust's closed loop (users), or the open loop (an offered rate)."""
    config = ctx.config
    logs = ctx.run_dir / "logs" / point.id
    request = point.scenario.request
    if point.rate_rps is None:
        plan = locust_run.LocustPlan(
            host=app_base,
            users=point.users,
            warmup_s=config.warmup_s,
            window_s=config.duration_s,
            processes=config.processes,
        )
        return ProcessSpec(
            name="locust",
            argv=locust_run.locust_argv(plan),
            env={**env, **locust_run.locust_env(request, requests_dir, ready_urls=ready_urls)},
            log_path=logs / "locust.log",
        )
    load = open_loop_run.point_load(
        request,
        host=app_base,
        arrival=config.arrival_process,
        rate_rps=point.rate_rps,
        seed=config.seed,
        warmup_s=config.warmup_s,
        window_s=config.duration_s,
        max_outstanding=config.max_outstanding,
        requests_dir=requests_dir,
        ready_urls=ready_urls,
    )
    return ProcessSpec(
        name="open_loop",
        argv=open_loop_run.open_loop_argv(load),
        env=env,
        log_path=logs / "open_loop.log",
        cpu_affinity=open_loop_run.cpu_split().generator,
    )


def generator_stop_grace_s(point: PlannedPoint) -> float:
    """How long the generator may take to write its request log once stopped."""
    if point.rate_rps is None:
        return locust_run.STOP_TIMEOUT_S + 4.0
    return open_loop_run.STOP_GRACE_S
