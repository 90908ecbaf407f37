"""The timeline of one diagnosis: start the children, exercise each route in phases, probe the faults,
judge, and always stop every child (Ctrl-C included).

    start    the fake LLM (normal mode), the load driver and the app, in parallel
    routes   per route, one at a time: a warm-up request, `one_user`, `load` (N users), and `threadpool`
             (past the limiter's token count) when the route held a token per request
    retry    the fake LLM restarted answering every call 429 + Retry-After: one request per route
    hang     restarted hanging every call: one request per route, up to `hang_s`, or less when its
             armed deadlines show it cannot answer sooner; a hung call that holds the app's loop is cut
             (the fake LLM restarted) before the next route

Routes that make no upstream call skip the fault probes; routes that cannot be exercised are listed with
the reason. The judgement (`awaitbench.detect.diagnose.judge`) is pure and runs at the end.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from awaitbench.detect.diagnose.document import Diagnosis, RouteDiagnosis
from awaitbench.detect.diagnose.evidence import RouteEvidence, RouteRef
from awaitbench.detect.diagnose.judge import judge, notes
from bench.diagnose.children import AppUnderTest, Driver, Upstream, UpstreamMode
from bench.diagnose.config import DiagnoseConfig
from bench.diagnose.openapi import discover
from bench.diagnose.phases import Session, hang_probe, retry_probe, run_phase, warm_up
from bench.diagnose.targets import RequestTarget, Unexercised, load_requests_file
from bench.errors import ProcessFailed, UsageError
from bench.measure.machine import machine_info, package_versions
from bench.processes import free_port, http_json, stop_together

__all__ = ["Progress", "diagnose", "resolve_targets"]

_THREADPOOL_REACH = 4  # run the threadpool phase when the limiter holds at most this many times N tokens
_STEPS_PER_ROUTE = 5  # warm-up, one user, load, retry, hang


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


def _exercise(
    session: Session, target: RequestTarget, progress: Progress, clock: _Clock
) -> RouteEvidence | str:
    """The normal-mode phases of one route; a string says why it could not be exercised."""
    config = session.config
    progress.step("warm-up", target.label)
    with clock("warm_up"):
        first = warm_up(session, target)
    if not first.answered:
        return f"no answer to the first request within {config.request_timeout_s:g} s ({first.error})"
    if first.status is not None and first.status >= 400:
        hint = "give a working request in --requests" if first.status < 500 else f"see {session.app.log_path}"
        return f"answered {first.status} to the first request: {hint}"
    progress.step("one user", target.label)
    with clock("one_user"):
        one = run_phase(session, target, "one_user", 1)
    progress.step(f"{config.users} users", target.label)
    with clock("load"):
        load = run_phase(session, target, "load", config.users)
    pool = None
    total = load.loop.threadpool_total
    if (
        total is not None
        and load.loop.threadpool_peak >= 0.8 * config.users
        and total <= _THREADPOOL_REACH * config.users
    ):
        users = min(math.ceil(total * 1.25), 2000)
        progress.add(1)
        progress.step(f"threadpool ({users} users)", target.label)
        with clock("threadpool"):
            pool = run_phase(session, target, "threadpool", users)
    return RouteEvidence(
        route=RouteRef(method=target.method, path=target.path, name=target.name),
        upstream_latency_ms=config.upstream_latency_ms,
        users=config.users,
        one_user=one,
        load=load,
        threadpool=pool,
    )


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
    import dataclasses

    return dataclasses.replace(evidence, **changes)  # type: ignore[arg-type]


def diagnose(config: DiagnoseConfig, *, progress: Progress, log_dir: Path) -> Diagnosis:
    """Run the whole diagnosis of `config.app` (see the module docstring).

    Raises:
        UsageError: the requests file is invalid, the import string does not import, or no requests
            can be found (exit 2).
        ProcessFailed: the app failed to start or died (its log tail attached; exit 1).
    """
    if config.requests is not None:
        load_requests_file(config.requests)  # a bad file fails before anything starts
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
        targets, skipped = resolve_targets(config, app)
        session = Session(config=config, upstream=upstream, app=app, driver=driver)
        progress.begin(len(targets) * _STEPS_PER_ROUTE)
        evidence: dict[str, RouteEvidence] = {}
        reasons: dict[str, str] = {}
        for target in targets:
            outcome = _exercise(session, target, progress, clock)
            if isinstance(outcome, str):
                reasons[target.name] = outcome
                progress.add(-2)
            else:
                evidence[target.name] = outcome
        _fault_probes(session, evidence, {t.name: t for t in targets}, progress, clock)
    finally:
        with clock("stop"):
            stop_together([driver.proc, app.proc, upstream.proc])
    routes = [_route_diagnosis(t, evidence.get(t.name), reasons.get(t.name)) for t in targets]
    routes += [
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
        routes=tuple(routes),
    )


def _route_diagnosis(
    target: RequestTarget, evidence: RouteEvidence | None, reason: str | None
) -> RouteDiagnosis:
    if evidence is None:
        return RouteDiagnosis(
            method=target.method,
            path=target.path,
            name=target.name,
            exercised=False,
            reason=reason or "not run",
        )
    return RouteDiagnosis(
        method=target.method,
        path=target.path,
        name=target.name,
        exercised=True,
        findings=judge(evidence),
        figures=evidence,
        notes=notes(evidence),
    )
