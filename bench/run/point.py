"""Measure one (scenario, variant, loop, load) point with fresh processes, and always tear them down.

`_launch`, `_window`, `_finish`, then the pure `record_from`; docs/bench.md draws the timeline."""

from __future__ import annotations

import contextlib
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.errors import ProcessFailed
from bench.loadgen import locust_run
from bench.loadgen.logs import request_log_files
from bench.measure.database import ActivitySample, ActivitySampler
from bench.measure.profiling import Profiler
from bench.measure.requests import read_request_logs, window_counts
from bench.measure.sampling import TreeSample, TreeTracker, WindowCpu, machine_cpu_percent
from bench.processes import ManagedProcess, http_json, stop_in_background, stop_together
from bench.results import PointRecord
from bench.run.plan import PlannedPoint
from bench.run.point_children import (
    RUN_DIR_ENV,
    SAMPLE_EVERY_S,
    BackgroundFetch,
    PointContext,
    ProbeClient,
    check_alive,
    child_specs,
    generator_spec,
    generator_stop_grace_s,
    sleep_until,
    wait_for_start,
)
from bench.run.record import WindowReadings, record_from
from fake_llm.snapshot import StatsSnapshot

__all__ = ["RUN_DIR_ENV", "PointContext", "measure_point"]

# After the window nothing the servers do counts, and uvicorn's graceful shutdown waits for every queued
# request: a blocked variant would take U x L to drain. Half a second, then SIGKILL (the process group).
_SERVER_GRACE_S = 0.5


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, kw_only=True)
class _Children:
    """The three running children of a point and where to reach them."""

    fake: ManagedProcess
    app: ManagedProcess
    generator: ManagedProcess
    llm_base: str
    app_base: str
    requests_dir: Path
    probe_dir: Path
    database_url: str | None = None  # sampled through the window when set


@dataclass(frozen=True, kw_only=True)
class _Window:
    """What `_window` read while the load ran; the app's counters and the logs come after it."""

    start_s: float
    end_s: float
    cpu: dict[str, WindowCpu]
    resources: TreeSample
    machine_cpu_percent: float | None
    upstream_stats: StatsSnapshot
    probe: dict[str, Any]
    database: tuple[ActivitySample, ...] | None = None  # pg_stat_activity through the window


def measure_point(point: PlannedPoint, ctx: PointContext) -> PointRecord:
    """Run one point end to end; never raises for a child's failure (returns a failed record)."""
    started = _now_iso()
    with tempfile.TemporaryDirectory(prefix="awaitbench-point-") as tmp_name:
        try:
            return _measure(point, ctx, Path(tmp_name), started)
        except ProcessFailed as exc:
            return PointRecord(
                scenario=point.scenario.id,
                variant=point.variant.id,
                loop=point.loop,
                users=point.users,
                load="users" if point.rate_rps is None else "rate",
                offered_rps=point.rate_rps,
                status="failed",
                valid=False,
                invalid_reasons=("the point failed",),
                started_at=started,
                error=str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                stderr_tail=exc.stderr_tail,
            )


def _measure(point: PlannedPoint, ctx: PointContext, tmp: Path, started: str) -> PointRecord:
    with contextlib.ExitStack() as stack:
        children = _launch(point, ctx, tmp, stack)
        profiler = None
        if point.profile:
            profiler = Profiler(
                pid=children.app.pid, duration_s=ctx.config.duration_s, run_dir=ctx.run_dir, stem=point.id
            )
            stack.callback(profiler.stop)
        window = _window(children, ctx, profiler)
        readings = _finish(children, window, profiler, stack, started, generator_stop_grace_s(point))
        return record_from(readings, point=point, config=ctx.config)


def _launch(point: PlannedPoint, ctx: PointContext, tmp: Path, stack: contextlib.ExitStack) -> _Children:
    """Start fake_llm, the app and the load generator together; return once the warm-up is over."""
    fake_spec, app_spec, app_base = child_specs(point, ctx, tmp)
    requests_dir = tmp / "requests"
    requests_dir.mkdir()
    fake, app = ManagedProcess(fake_spec), ManagedProcess(app_spec)
    ready_urls = tuple(url for url in (fake_spec.ready_url, app_spec.ready_url) if url)
    generator = ManagedProcess(
        generator_spec(
            point,
            ctx,
            app_base=app_base,
            requests_dir=requests_dir,
            ready_urls=ready_urls,
            env=dict(fake_spec.env),
        )
    )
    stack.callback(stop_together, [fake, app, generator], grace_s=2.0)
    # Start all three, then wait: their start-ups overlap. The generator holds its load back until both
    # servers answer /health (the locustfile, `open_loop_log.wait_ready`), so no request hits a server
    # that is not ready.
    for proc in (fake, app, generator):
        proc.start()
    t0 = wait_for_start(generator, (fake, app), requests_dir)
    sleep_until(t0 + ctx.config.warmup_s, fake, app, generator)
    llm_base = fake_spec.ready_url.removesuffix("/health") if fake_spec.ready_url else ""
    return _Children(
        fake=fake,
        app=app,
        generator=generator,
        llm_base=llm_base,
        app_base=app_base,
        requests_dir=requests_dir,
        probe_dir=tmp / "probe",
        database_url=ctx.database_url if point.scenario.database is not None else None,
    )


def _window(children: _Children, ctx: PointContext, profiler: Profiler | None) -> _Window:
    """Sample the database's activity (a database scenario) while the window runs."""
    if children.database_url is None:
        return _sampled_window(children, ctx, profiler)
    sampler = ActivitySampler(children.database_url)
    try:
        window = _sampled_window(children, ctx, profiler, on_start=sampler.start)
    finally:
        samples = tuple(sampler.finish())
    return replace(window, database=samples)


def _sampled_window(
    children: _Children,
    ctx: PointContext,
    profiler: Profiler | None,
    on_start: Callable[[], object] | None = None,
) -> _Window:
    """Reset every counter, sample CPU for the window, read what the servers saw at its end."""
    fake, app, generator = children.fake, children.app, children.generator
    probe = ProbeClient(children.probe_dir)
    http_json(f"{children.llm_base}/stats/reset", method="POST", child=fake)
    probe.reset()
    trackers = {
        "app": TreeTracker(app.pid),
        "locust": TreeTracker(generator.pid),
        "fake": TreeTracker(fake.pid),
    }
    for tracker in trackers.values():
        tracker.start()
    machine_cpu_percent()
    start_s = time.time()
    if on_start is not None:
        on_start()
    if profiler is not None:
        profiler.start()
    window_end = start_s + ctx.config.duration_s
    while time.time() < window_end:
        check_alive(fake, app, generator)
        time.sleep(max(0.0, min(SAMPLE_EVERY_S, window_end - time.time())))
        for tracker in trackers.values():
            tracker.sample()
    end_s = time.time()
    machine_percent = machine_cpu_percent()
    cpu = {name: tracker.finish() for name, tracker in trackers.items()}
    resources = trackers["app"].resources()
    upstream_stats = StatsSnapshot.from_json(http_json(f"{children.llm_base}/stats", child=fake))
    return _Window(
        start_s=start_s,
        end_s=end_s,
        cpu=cpu,
        resources=resources,
        machine_cpu_percent=machine_percent,
        upstream_stats=upstream_stats,
        probe=probe.read(),
    )


def _join_all(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join()


def _finish(
    children: _Children,
    window: _Window,
    profiler: Profiler | None,
    stack: contextlib.ExitStack,
    started: str,
    grace_s: float,
) -> WindowReadings:
    """Stop the children in parallel while the app's counters and the generator's request logs are
    collected."""
    app_stats = BackgroundFetch(f"{children.app_base}/app-stats")
    # Stop the generator now: later requests would not count. SIGTERM makes it write what is in flight
    # and flush its request logs. fake_llm has answered its /stats, so it stops at the same time; the app
    # follows once its /app-stats is in. All three shut down in parallel with the arithmetic below.
    stopping = stop_in_background([children.generator], grace_s=grace_s)
    stopping += stop_in_background([children.fake], grace_s=_SERVER_GRACE_S)
    # Runs before the children's own stop (LIFO): never two threads stopping the same child.
    stack.callback(_join_all, stopping)
    profile_files = profiler.finish() if profiler else ()
    app_counters = app_stats.join()
    stopping += stop_in_background([children.app], grace_s=_SERVER_GRACE_S)
    stopping[0].join()  # the generator's request log is complete once it has exited
    counts = window_counts(
        read_request_logs(request_log_files(children.requests_dir)),
        start_s=window.start_s,
        end_s=window.end_s,
    )
    return WindowReadings(
        started_at=started,
        window_s=window.end_s - window.start_s,
        counts=counts,
        cpu=window.cpu,
        app_resources=window.resources,
        machine_cpu_percent=window.machine_cpu_percent,
        upstream_stats=window.upstream_stats,
        probe=window.probe,
        app_stats=app_counters,
        loadgen_cpu_warning=locust_run.cpu_warning_seen(
            children.requests_dir, start_s=window.start_s, end_s=window.end_s
        ),
        profile_files=profile_files,
        database=window.database,
    )
