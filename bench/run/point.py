"""Measure one (scenario, variant, loop, users) point with fresh processes, and always tear them down.

Timeline of a point:

    start fake_llm + app + Locust (in parallel) -> both servers ready -> Locust spawns users, marks t0
    t0 .. t0+warmup            warm-up: load runs, nothing counts
    reset fake_llm stats and the app's probe; psutil baselines   <- window start
    window_s of sampling (CPU of app, Locust, fake_llm every 0.25 s)
    read fake_llm /stats, probe, psutil                          <- window end
    stop Locust (SIGTERM: it flushes its per-request log) and the rest, in parallel; cut the log to the window

Fresh processes every point because a blocked variant leaves seconds of queued requests behind that
would eat the next measurement. A child that dies or never becomes ready makes a failed record with
its log tail; the run goes on.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.errors import ProcessFailed
from bench.inapp.probe import PROBE_DIR_ENV
from bench.loadgen import locust_run as loadgen
from bench.measure.figures import merge_probe_snapshots, server_figures, theory_figures, upstream_figures
from bench.measure.profiling import Profiler
from bench.measure.requests import latency_summary, read_request_logs, window_counts
from bench.measure.sampling import TreeTracker, machine_cpu_percent
from bench.measure.validity import PointHealth, invalid_reasons, warnings_for
from bench.processes import ManagedProcess, ProcessSpec, awaitbench_argv, free_port
from bench.results import LoadgenFigures, PointRecord
from bench.run.config import RunConfig
from bench.run.plan import PlannedPoint
from fake_llm.launch import fake_llm_argv
from fake_llm.snapshot import StatsSnapshot

__all__ = ["RUN_DIR_ENV", "PointContext", "measure_point"]

RUN_DIR_ENV = "AWAITBENCH_RUN_DIR"  # set on every child: tells whose process it is (orphan checks)
_SAMPLE_EVERY_S = 0.25
_LOCUST_START_TIMEOUT_S = 30.0
_APP_STATS_TIMEOUT_S = 1.0
# After the window nothing the servers do counts, and uvicorn's graceful shutdown waits for every queued
# request: a blocked variant would take U x L to drain. Half a second, then SIGKILL (the process group).
_SERVER_GRACE_S = 0.5


@dataclass(frozen=True, kw_only=True)
class PointContext:
    """What every point of a run shares."""

    config: RunConfig
    run_dir: Path


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _http_json(url: str, *, method: str = "GET", timeout_s: float = 5.0) -> Any:
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(request, timeout=timeout_s) as response:
        return json.loads(response.read() or b"{}")


def _two_ports() -> tuple[int, int]:
    first = free_port()
    second = free_port()
    while second == first:
        second = free_port()
    return first, second


def _check_alive(*procs: ManagedProcess) -> None:
    for proc in procs:
        if proc.returncode is not None:
            raise ProcessFailed(
                f"{proc.spec.name} exited with code {proc.returncode} during the measurement",
                stderr_tail=proc.log_tail(),
            )


def _stop_in_background(procs: list[ManagedProcess], *, grace_s: float = 2.0) -> list[threading.Thread]:
    """Start stopping children on threads: each graceful shutdown takes most of a second, points add up."""
    threads = [threading.Thread(target=proc.stop, kwargs={"grace_s": grace_s}) for proc in procs]
    for thread in threads:
        thread.start()
    return threads


def _stop_together(procs: list[ManagedProcess]) -> None:
    """Stop children concurrently and wait until every one is gone."""
    for thread in _stop_in_background(procs):
        thread.join()
    for proc in procs:  # a thread cannot be interrupted; make sure, in this thread, that all are gone
        proc.stop(grace_s=0.5)


def _sleep_until(deadline: float, *procs: ManagedProcess) -> None:
    while (remaining := deadline - time.time()) > 0:
        _check_alive(*procs)
        time.sleep(min(remaining, _SAMPLE_EVERY_S))


def _wait_for_start(locust: ManagedProcess, servers: tuple[ManagedProcess, ...], requests_dir: Path) -> float:
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
        _check_alive(locust)
        time.sleep(0.05)
    names = " and ".join(proc.spec.name for proc in servers)
    raise ProcessFailed(
        f"{names} did not both answer /health within {_LOCUST_START_TIMEOUT_S:g} s "
        "(or Locust did not start); see the logs",
        stderr_tail="\n".join(proc.log_tail() for proc in (*servers, locust)),
    )


class _ProbeClient:
    """The app's probe side channel(s): one per uvicorn worker, found through their port files."""

    def __init__(self, probe_dir: Path) -> None:
        self.probe_dir = probe_dir

    def _urls(self) -> list[str]:
        ports = [p.read_text().strip() for p in sorted(self.probe_dir.glob("probe-*.port"))]
        return [f"http://127.0.0.1:{port}/" for port in ports if port.isdigit()]

    def reset(self) -> None:
        for url in self._urls():
            with contextlib.suppress(OSError, ValueError):
                _http_json(url, method="POST", timeout_s=2.0)

    def read(self) -> dict[str, Any]:
        snapshots = []
        for url in self._urls():
            with contextlib.suppress(OSError, ValueError):
                snapshots.append(_http_json(url, timeout_s=2.0))
        return merge_probe_snapshots(snapshots) if snapshots else {}


class _Background:
    """Fetch a URL on a thread: the app's /app-stats may queue behind a blocked loop's backlog."""

    def __init__(self, url: str) -> None:
        self.result: dict[str, Any] = {}
        self._thread = threading.Thread(target=self._fetch, args=(url,), daemon=True)
        self._thread.start()

    def _fetch(self, url: str) -> None:
        try:
            data = _http_json(url, timeout_s=_APP_STATS_TIMEOUT_S)
            self.result = data if isinstance(data, dict) else {"value": data}
        except (OSError, ValueError) as exc:
            self.result = {"error": f"/app-stats unavailable: {type(exc).__name__}"}

    def join(self) -> dict[str, Any]:
        self._thread.join(timeout=_APP_STATS_TIMEOUT_S + 1.0)
        return self.result


def _specs(point: PlannedPoint, ctx: PointContext, tmp: Path) -> tuple[ProcessSpec, ProcessSpec, str]:
    config = ctx.config
    llm_port, app_port = _two_ports()
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
                status="failed",
                valid=False,
                invalid_reasons=("the point failed",),
                started_at=started,
                error=str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                stderr_tail=exc.stderr_tail,
            )


def _measure(point: PlannedPoint, ctx: PointContext, tmp: Path, started: str) -> PointRecord:
    config = ctx.config
    fake_spec, app_spec, app_base = _specs(point, ctx, tmp)
    requests_dir = tmp / "requests"
    requests_dir.mkdir()
    with contextlib.ExitStack() as stack:
        fake, app = ManagedProcess(fake_spec), ManagedProcess(app_spec)
        children = [fake, app]
        stack.callback(_stop_together, children)
        llm_base = fake_spec.ready_url.removesuffix("/health") if fake_spec.ready_url else ""
        plan = loadgen.LocustPlan(
            host=app_base,
            users=point.users,
            warmup_s=config.warmup_s,
            window_s=config.duration_s,
            processes=config.processes,
        )
        ready_urls = tuple(url for url in (fake_spec.ready_url, app_spec.ready_url) if url)
        locust = ManagedProcess(
            ProcessSpec(
                name="locust",
                argv=loadgen.locust_argv(plan),
                env={
                    **fake_spec.env,
                    **loadgen.locust_env(point.scenario.request, requests_dir, ready_urls=ready_urls),
                },
                log_path=ctx.run_dir / "logs" / point.id / "locust.log",
            )
        )
        children.append(locust)
        # Start all three, then wait: their start-ups overlap. Locust holds its users back until both
        # servers answer /health (see the locustfile), so no request hits a server that is not ready.
        for proc in (fake, app, locust):
            proc.start()
        t0 = _wait_for_start(locust, (fake, app), requests_dir)
        _sleep_until(t0 + config.warmup_s, fake, app, locust)

        # ---- window start
        probe = _ProbeClient(tmp / "probe")
        try:
            _http_json(f"{llm_base}/stats/reset", method="POST")
        except (OSError, ValueError) as exc:
            raise ProcessFailed(f"fake_llm /stats/reset failed: {exc}", stderr_tail=fake.log_tail()) from exc
        probe.reset()
        trackers = {
            "app": TreeTracker(app.pid),
            "locust": TreeTracker(locust.pid),
            "fake": TreeTracker(fake.pid),
        }
        for tracker in trackers.values():
            tracker.start()
        machine_cpu_percent()
        window_start = time.time()
        profiler = None
        if point.profile:
            profiler = Profiler(pid=app.pid, duration_s=config.duration_s, run_dir=ctx.run_dir, stem=point.id)
            stack.callback(profiler.stop)
            profiler.start()
        window_end = window_start + config.duration_s
        while time.time() < window_end:
            _check_alive(fake, app, locust)
            time.sleep(max(0.0, min(_SAMPLE_EVERY_S, window_end - time.time())))
            for tracker in trackers.values():
                tracker.sample()
        # ---- window end
        window_end = time.time()
        machine_percent = machine_cpu_percent()
        cpu = {name: tracker.finish() for name, tracker in trackers.items()}
        resources = trackers["app"].resources()
        try:
            upstream_stats = StatsSnapshot.from_json(_http_json(f"{llm_base}/stats"))
        except (OSError, ValueError) as exc:
            raise ProcessFailed(f"fake_llm /stats failed: {exc}", stderr_tail=fake.log_tail()) from exc
        probe_figures = probe.read()
        app_stats = _Background(f"{app_base}/app-stats")

        # Stop Locust now: later requests would not count. SIGTERM makes it flush its request logs
        # (quitting event). fake_llm has answered its /stats, so it stops at the same time; the app
        # follows once its /app-stats is in. All three shut down in parallel with the arithmetic below.
        stopping = _stop_in_background([locust], grace_s=loadgen.STOP_TIMEOUT_S + 4.0)
        stopping += _stop_in_background([fake], grace_s=_SERVER_GRACE_S)
        # Runs before the children's own stop (LIFO): never two threads stopping the same child.
        stack.callback(lambda: [thread.join() for thread in stopping])
        profile_files = profiler.finish() if profiler else ()
        app_counters = app_stats.join()
        stopping += _stop_in_background([app], grace_s=_SERVER_GRACE_S)
        for thread in stopping[:1]:  # Locust's request log is complete once it has exited
            thread.join()
        counts = window_counts(
            read_request_logs(loadgen.request_log_files(requests_dir)), start_s=window_start, end_s=window_end
        )
        window_s = window_end - window_start
        health = PointHealth(
            requests=counts.requests,
            min_requests=config.min_requests,
            loadgen_cpu_percent_per_process=cpu["locust"].cpu_percent / max(1, cpu["locust"].processes),
            loadgen_cpu_warning=loadgen.cpu_warning_seen(
                requests_dir, start_s=window_start, end_s=window_end
            ),
            fake_llm_cpu_percent=cpu["fake"].cpu_percent,
            machine_cpu_percent=machine_percent,
        )
        warnings = warnings_for(health)
        if profiler is not None:
            warnings += ("profiled with py-spy during the window (adds sampling CPU)",)
        theory = theory_figures(
            point.scenario,
            point.variant.id,
            users=point.users,
            workers=config.app_workers,
            preset=config.preset,
        )
        if theory.latency_ms > (config.warmup_s + config.duration_s) * 1000.0:
            warnings += (
                f"theory predicts R = {theory.latency_ms:.0f} ms, longer than warm-up + window: the queue "
                "was still filling, so latencies are lower than at steady state (throughput is not affected)",
            )
        throughput_rps = (counts.requests - counts.failures) / window_s if window_s > 0 else 0.0
        latency = latency_summary(counts.latency_ms)
        if latency is not None and latency.mean_ms > 0:
            theory = replace(
                theory,
                closed_loop_fidelity=round(throughput_rps / (point.users * 1000.0 / latency.mean_ms), 4),
            )
        reasons = invalid_reasons(health)
        return PointRecord(
            scenario=point.scenario.id,
            variant=point.variant.id,
            loop=point.loop,
            users=point.users,
            status="ok",
            valid=not reasons,
            invalid_reasons=reasons,
            started_at=started,
            warmup_s=config.warmup_s,
            window_s=round(window_s, 4),
            requests=counts.requests,
            failures=counts.failures,
            # Goodput: successful answers per second (a 429 is not a served user).
            throughput_rps=round(throughput_rps, 3),
            latency=latency,
            server=server_figures(
                cpu=cpu["app"],
                resources=resources,
                requests=counts.requests,
                probe=probe_figures,
                app_stats=app_counters,
            ),
            upstream=upstream_figures(upstream_stats, cpu=cpu["fake"]),
            loadgen=LoadgenFigures(
                cpu_percent=cpu["locust"].peak_process_percent,
                processes=cpu["locust"].processes,
                warnings=warnings,
            ),
            theory=theory,
            profile_files=profile_files,
            ttfb=latency_summary(counts.ttfb_ms),
        )
