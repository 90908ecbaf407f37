"""The timeline of one diagnosis: start the children, exercise each route in phases, probe the faults,
judge, and always stop every child (Ctrl-C included)."""

from __future__ import annotations

import contextlib
import dataclasses
import math
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from awaitbench.detect.diagnose.document import Diagnosis, RouteDiagnosis
from awaitbench.detect.diagnose.evidence import PhaseFigures, RouteEvidence, RouteRef
from awaitbench.detect.diagnose.judge import judge, notes
from awaitbench.detect.diagnose.outbound import OutboundHost, merge_hosts
from bench.diagnose.children import AppUnderTest, Driver, Upstream, UpstreamMode
from bench.diagnose.config import DiagnoseConfig
from bench.diagnose.openapi import discover
from bench.diagnose.phases import Session, hang_probe, retry_probe, run_phase
from bench.diagnose.targets import RequestTarget, Unexercised, load_requests_file
from bench.diagnose.warmup import first_answer
from bench.errors import ProcessFailed, UsageError
from bench.measure.machine import machine_info, package_versions
from bench.processes import free_port, http_json, stop_together

__all__ = ["Progress", "diagnose", "resolve_targets"]

_THREADPOOL_REACH = 4  # run the threadpool phase when the limiter holds at most this many times N tokens
_THREADPOOL_CPU_MARGIN = 6.0  # its upstream latency: threads bind at 1/6 of what one core would serve
_THREADPOOL_ROUND_TRIPS = 3  # the phase lasts at least this many lengthened requests after its warm-up
_THREADPOOL_MAX_LATENCY_MS = 2000.0
_STEPS_PER_ROUTE = 5  # warm-up, one user, load, retry, hang
DATABASE_URL = "DATABASE_URL"


class Progress(Protocol):
    """What the command shows while a diagnosis runs."""

    def begin(self, total: int) -> None: ...

    def step(self, phase: str, route: str) -> None: ...

    def add(self, steps: int) -> None: ...


class _Clock:
    """Wall time per phase kind."""

    def __init__(self) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        start = time.monotonic()
        try:
            yield
        finally:
            self.seconds[name] += time.monotonic() - start


def resolve_targets(
    config: DiagnoseConfig, app: AppUnderTest
) -> tuple[tuple[RequestTarget, ...], tuple[Unexercised, ...]]:
    """The requests file's targets, else the operations of the app's OpenAPI schema.

    Raises:
        UsageError: no `--requests` and the app serves no OpenAPI schema at /openapi.json.
    """
    if config.requests is not None:
        return load_requests_file(config.requests), ()
    try:
        schema = http_json(f"{app.base}/openapi.json", timeout_s=10.0)
    except ProcessFailed:
        schema = None
    if not isinstance(schema, dict) or not isinstance(schema.get("paths"), dict):
        raise UsageError(
            f"{config.app} serves no OpenAPI schema at /openapi.json (only FastAPI-style apps do): "
            "list the requests to send in a file and pass --requests FILE"
        )
    targets, skipped = discover(schema)
    if not targets and not skipped:
        raise UsageError(f"the OpenAPI schema of {config.app} lists no operation: pass --requests FILE")
    return targets, skipped


def _machine() -> dict[str, object]:
    """This machine's facts as every result carries them, with the 1-minute load and awaitbench's version."""
    info = machine_info()
    awaitbench = package_versions().get("awaitbench", "unknown")
    return {**info, "load_average_1m": info["load_average"][0], "awaitbench": awaitbench}


@dataclass(frozen=True, kw_only=True)
class _Exercised:
    """One route after its normal-mode phases: its evidence (None when it could not be exercised, with
    `reason`), the request it accepted, and the hosts it called."""

    target: RequestTarget
    evidence: RouteEvidence | None
    reason: str | None
    outbound: tuple[OutboundHost, ...]


def _exercise(session: Session, target: RequestTarget, progress: Progress, clock: _Clock) -> _Exercised:
    """The warm-up and the normal-mode phases of one route."""
    config = session.config
    progress.step("warm-up", target.label)
    with clock("warm_up"):
        first = first_answer(session, target)
    if not first.ok:
        reason = first.reason(timeout_s=config.request_timeout_s, upstream=_address(session.upstream))
        return _Exercised(target=first.target, evidence=None, reason=reason, outbound=first.outbound)
    target = first.target
    progress.step("one user", target.label)
    with clock("one_user"):
        one = run_phase(session, target, "one_user", 1)
    progress.step(f"{config.users} users", target.label)
    with clock("load"):
        load = run_phase(session, target, "load", config.users)
    evidence = RouteEvidence(
        route=RouteRef(method=target.method, path=target.path, name=target.name),
        upstream_latency_ms=config.upstream_latency_ms,
        users=config.users,
        one_user=one,
        load=load,
    )
    outbound = merge_hosts(first.outbound, one.outbound, load.outbound)
    return _Exercised(target=target, evidence=evidence, reason=None, outbound=outbound)


def _address(upstream: Upstream) -> str:
    return f"127.0.0.1:{upstream.port}"


def _holds_a_thread_per_user(evidence: RouteEvidence, users: int) -> bool:
    """At N users the route held about one thread token per user, and the limiter is within reach of
    a phase with more users than tokens."""
    load = evidence.load
    total = load.loop.threadpool_total if load is not None else None
    return (
        load is not None
        and total is not None
        and load.loop.threadpool_peak >= 0.8 * users
        and total <= _THREADPOOL_REACH * users
    )


def threadpool_latency_ms(evidence: RouteEvidence) -> float | None:
    """The upstream latency of the threadpool phase (None: the route's L will do).

    A request holding a thread for k calls of L ms lets T tokens serve T / (k·L) requests a second; one
    core serves 1000 / c at c ms of CPU per request. Threads bind, not the CPU, only when k·L is long
    enough: at least `_THREADPOOL_CPU_MARGIN` · T · c (the CPU measured at N users), which a real LLM's
    seconds-long calls are and the diagnosis's 100 ms are not. The margin leaves the app's CPU at a sixth
    of a core when threads bind, so a machine that gives it less than that is rare even at a load of 10
    on two cores."""
    load, k = evidence.load, evidence.one_user.calls_per_request
    cpu = load.app_cpu_ms_per_request if load is not None else None
    total = load.loop.threadpool_total if load is not None else None
    if k < 0.5 or cpu is None or not total:
        return None
    needed = _THREADPOOL_CPU_MARGIN * total * cpu / k
    if needed <= evidence.upstream_latency_ms:
        return None
    return min(math.ceil(needed / 50.0) * 50.0, _THREADPOOL_MAX_LATENCY_MS)


def _threadpool_phases(
    session: Session, routes: dict[str, _Exercised], progress: Progress, clock: _Clock
) -> dict[str, _Exercised]:
    """The threadpool phase of every route that held a thread per user: twice as many users as tokens,
    so that, if threads bind, half the requests' time is spent waiting for one."""
    config, done = session.config, dict(routes)
    lengthened = False
    for name, route in routes.items():
        evidence = route.evidence
        if evidence is None or evidence.load is None or not _holds_a_thread_per_user(evidence, config.users):
            continue
        total = evidence.load.loop.threadpool_total or 0
        users = min(2 * total, 2000)
        latency = threadpool_latency_ms(evidence)
        progress.add(1)
        progress.step(f"threadpool ({users} users)", route.target.label)
        with clock("threadpool"):
            if latency is not None or lengthened:
                session.upstream.start("normal", latency_ms=latency)
                lengthened = latency is not None
            trips = _THREADPOOL_ROUND_TRIPS * evidence.one_user.calls_per_request * (latency or 0.0) / 1000.0
            duration = max(config.load_s, config.warmup_s + trips)
            pool = run_phase(
                session, route.target, "threadpool", users, upstream_latency_ms=latency, duration_s=duration
            )
        done[name] = _with_phase(route, pool)
    if lengthened:
        session.upstream.start("normal")
    return done


def _with_phase(route: _Exercised, pool: PhaseFigures) -> _Exercised:
    assert route.evidence is not None
    evidence = dataclasses.replace(route.evidence, threadpool=pool)
    return dataclasses.replace(route, evidence=evidence, outbound=merge_hosts(route.outbound, pool.outbound))


def _wait_responsive(app: AppUnderTest, threshold_ms: float, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and app.snapshot().current_stall_ms >= threshold_ms:
        time.sleep(0.05)


def _fault_probes(
    session: Session,
    evidence: dict[str, RouteEvidence],
    targets: dict[str, RequestTarget],
    progress: Progress,
    clock: _Clock,
) -> None:
    calling = [name for name, ev in evidence.items() if ev.one_user.upstream.calls > 0]
    for name in [n for n in evidence if n not in calling]:
        progress.step("no upstream call: no fault probe", targets[name].label)
        progress.step("no upstream call: no fault probe", targets[name].label)
    if not calling:
        return
    with clock("retry"):
        session.upstream.start("rate_limited")
        for name in calling:
            progress.step("429 + Retry-After", targets[name].label)
            retried = retry_probe(session, targets[name], evidence[name].one_user.upstream.peak_in_flight)
            evidence[name] = _replace(evidence[name], retry=retried)
    with clock("hang"):
        session.upstream.start("hang")
        for index, name in enumerate(calling):
            progress.step("upstream hangs", targets[name].label)
            # A hung call that holds the loop is cut with a normal upstream (a client that retries must
            # succeed, not hang again); once the app answers again, the next route gets a hanging one.
            probe = hang_probe(session, targets[name], f"hang-{index}", lambda: _restart(session, "normal"))
            evidence[name] = _replace(evidence[name], hang=probe)
            if session.upstream.mode != "hang":
                _wait_responsive(session.app, session.config.block_ms)
                if index + 1 < len(calling):
                    session.upstream.start("hang")
            session.app.check_alive()


def _restart(session: Session, mode: UpstreamMode) -> None:
    session.upstream.start(mode)


def _replace(evidence: RouteEvidence, **changes: object) -> RouteEvidence:
    return dataclasses.replace(evidence, **changes)  # type: ignore[arg-type]


def diagnose(config: DiagnoseConfig, *, progress: Progress, log_dir: Path) -> Diagnosis:
    """Run the whole diagnosis of `config.app` (see the module docstring).

    Raises:
        UsageError: the requests file or the `--db-seed` file is invalid, the import string does not
            import, or no requests can be found (exit 2).
        DatabaseUnavailable: `--db-seed` on a machine without PostgreSQL.
        ProcessFailed: the app failed to start or died (its log tail attached; exit 1).
    """
    if config.requests is not None:
        load_requests_file(config.requests)  # a bad file fails before anything starts
    with _database(config, log_dir) as config:
        return _diagnose(config, progress=progress, log_dir=log_dir)


@contextlib.contextmanager
def _database(config: DiagnoseConfig, log_dir: Path) -> Iterator[DiagnoseConfig]:
    """`config` whose app gets `DATABASE_URL` of a fresh PostgreSQL seeded with `--db-seed` (stopped and
    removed on the way out, Ctrl-C included), unless `--env` sets `DATABASE_URL`."""
    if config.db_seed is None or DATABASE_URL in config.env:
        yield config
        return
    try:
        sql = config.db_seed.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--db-seed {config.db_seed}: cannot read it ({exc})") from None
    from bench.postgres import fresh_postgres, seed

    with fresh_postgres(log_dir=log_dir) as database:
        seed(database.url, sql)
        yield dataclasses.replace(config, env={**config.env, DATABASE_URL: database.url})


def _diagnose(config: DiagnoseConfig, *, progress: Progress, log_dir: Path) -> Diagnosis:
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    t0, clock = time.monotonic(), _Clock()
    upstream = Upstream(config, port=free_port(), log_dir=log_dir)
    app = AppUnderTest(config, upstream=upstream, log_dir=log_dir)
    driver = Driver(log_dir=log_dir)
    try:
        with clock("start"):
            upstream.launch("normal")
            driver.launch()
            app.launch()
            upstream.ready()
            driver.ready()
            app.ready()
        startup = app.snapshot().outbound
        targets, skipped = resolve_targets(config, app)
        session = Session(config=config, upstream=upstream, app=app, driver=driver)
        progress.begin(len(targets) * _STEPS_PER_ROUTE)
        routes: dict[str, _Exercised] = {}
        for target in targets:
            routes[target.name] = route = _exercise(session, target, progress, clock)
            if route.evidence is None:
                progress.add(-2)
        routes = _threadpool_phases(session, routes, progress, clock)
        evidence = {name: r.evidence for name, r in routes.items() if r.evidence is not None}
        _fault_probes(session, evidence, {name: r.target for name, r in routes.items()}, progress, clock)
    finally:
        with clock("stop"):
            stop_together([driver.proc, app.proc, upstream.proc])
    diagnosed = [_route_diagnosis(routes[t.name], evidence.get(t.name)) for t in targets]
    diagnosed += [
        RouteDiagnosis(method=s.method, path=s.path, name=s.name, exercised=False, reason=s.reason)
        for s in skipped
    ]
    return Diagnosis(
        app=config.app,
        started_at=started_at,
        duration_s=round(time.monotonic() - t0, 3),
        phase_seconds={k: round(v, 3) for k, v in clock.seconds.items()},
        settings=config.settings,
        machine=_machine(),
        routes=tuple(diagnosed),
        upstream=_address(upstream),
        outbound=merge_hosts(startup, *(r.outbound for r in routes.values())),
    )


def _route_diagnosis(route: _Exercised, evidence: RouteEvidence | None) -> RouteDiagnosis:
    target = route.target
    if evidence is None:
        return RouteDiagnosis(
            method=target.method,
            path=target.path,
            name=target.name,
            exercised=False,
            reason=route.reason or "not run",
            outbound=route.outbound,
        )
    return RouteDiagnosis(
        method=target.method,
        path=target.path,
        name=target.name,
        exercised=True,
        findings=judge(evidence),
        figures=evidence,
        notes=notes(evidence),
        outbound=route.outbound,
    )
