"""One phase, or one fault probe, of one route: reset the witnesses, send the load, read them back.

Every phase starts from zero: the fake LLM's `/stats` and the agent's evidence are reset before the
first request, so every figure belongs to this route and this phase alone.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from awaitbench.detect.diagnose.agent import PROBE_HEADER
from awaitbench.detect.diagnose.deadlines import InFlightReport
from awaitbench.detect.diagnose.evidence import HangProbe, PhaseFigures, PhaseName, RetryProbe
from awaitbench.detect.watchdog.report import Frame
from bench.diagnose.children import AppUnderTest, Driver, Upstream
from bench.diagnose.config import DiagnoseConfig
from bench.diagnose.readings import phase_figures
from bench.diagnose.targets import RequestTarget
from bench.errors import ProcessFailed
from bench.loadgen.closed_loop import LoadSpec, ProbeResult

__all__ = ["Session", "hang_probe", "probe_once", "retry_probe", "run_phase"]

_POLL_S = 0.05
_RETRY_PROBE_BUDGET_S = 60.0
_QUIET_MIN_S = 0.5  # no upstream call for this long (or two Retry-Afters): earlier requests are done
_SETTLE_BUDGET_S = 20.0
_ARMING_S = 1.0  # how long a hung request may take to arm its deadline once its call reached the upstream
_STUCK_MS = 100.0  # a loop unresponsive this long at the end of a hang probe is held by the hung call


@dataclass(frozen=True, kw_only=True)
class Session:
    """The running children of one diagnosis."""

    config: DiagnoseConfig
    upstream: Upstream
    app: AppUnderTest
    driver: Driver

    def headers(self, target: RequestTarget) -> dict[str, str]:
        """`--header` for every request, the request's own headers over them."""
        return {**self.config.headers, **target.request_headers()}

    def spec(self, target: RequestTarget, **load: object) -> LoadSpec:
        return LoadSpec(
            url=self.app.base + target.path,
            method=target.method,
            body=target.body_text,
            headers=self.headers(target),
            **load,  # type: ignore[arg-type]
        )


def probe_once(session: Session, target: RequestTarget) -> ProbeResult:
    """One request with the route's deadline (`--request-timeout-s`)."""
    spec = session.spec(target, users=1, timeout_s=session.config.request_timeout_s)
    return session.driver.probe(spec)


def run_phase(
    session: Session,
    target: RequestTarget,
    name: PhaseName,
    users: int,
    *,
    upstream_latency_ms: float | None = None,
    duration_s: float | None = None,
) -> PhaseFigures:
    """One-user phase (`one_user_requests` in a row) or a load phase (`users` for `load_s`, or
    `duration_s`); `upstream_latency_ms`: the fake LLM's latency when it is not the route's L (it is
    already running so)."""
    config, app = session.config, session.app
    if name == "one_user":
        spec = session.spec(
            target, users=1, max_requests=config.one_user_requests, duration_s=3600.0,
            timeout_s=config.request_timeout_s,
        )  # fmt: skip
    else:
        spec = session.spec(
            target, users=users, duration_s=duration_s or config.load_s, warmup_s=config.warmup_s,
            timeout_s=config.request_timeout_s,
        )  # fmt: skip
    session.upstream.reset()
    app.reset()
    loop_thread = app.snapshot().loop_thread_id
    before = app.cpu(loop_thread)
    result = session.driver.load(spec)
    after = app.cpu(loop_thread)
    app.check_alive()
    return phase_figures(
        name=name,
        users=spec.users,
        result=result,
        stats=session.upstream.stats(),
        snapshot=app.snapshot(),
        cpu_before=before,
        cpu_after=after,
        upstream_latency_ms=upstream_latency_ms,
    )


def _upstream_settles(session: Session) -> bool:
    """Wait until the upstream gets no call for a while (the app is done with earlier requests: a blocked
    loop may still be working through a load phase's backlog); False when calls kept coming."""
    quiet_s = max(_QUIET_MIN_S, 2 * session.config.retry_after_ms / 1000)
    started = last_change = time.monotonic()
    seen = session.upstream.stats().requests_total
    while time.monotonic() - started < _SETTLE_BUDGET_S:
        time.sleep(_POLL_S)
        total = session.upstream.stats().requests_total
        if total != seen:
            seen, last_change = total, time.monotonic()
        elif time.monotonic() - last_change >= quiet_s:
            return True
    return False


def retry_probe(session: Session, target: RequestTarget, calls_at_once: int) -> RetryProbe:
    """One request while the fake LLM answers every call 429 (it must be in `rate_limited` mode), once the
    upstream is quiet; a probe that cannot be told apart from earlier requests' calls is not sent."""
    retry_after_ms = float(session.config.retry_after_ms)
    if not _upstream_settles(session):
        return RetryProbe(
            answered=False,
            status=None,
            latency_ms=0.0,
            upstream_attempts=0,
            retry_after_ms=retry_after_ms,
            calls_at_once=max(calls_at_once, 1),
            settled=False,
        )
    session.upstream.reset()
    spec = session.spec(target, users=1, timeout_s=_RETRY_PROBE_BUDGET_S)
    result = session.driver.probe(spec)
    stats = session.upstream.stats()
    return RetryProbe(
        answered=result.answered,
        status=result.status,
        latency_ms=result.latency_ms,
        upstream_attempts=stats.requests_total,
        retry_after_ms=retry_after_ms,
        calls_at_once=max(calls_at_once, 1),
    )


class _Background:
    """The probe request on a thread, so the app can be read while the request hangs."""

    def __init__(self, session: Session, spec: LoadSpec) -> None:
        self.result: ProbeResult | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(session, spec), daemon=True)
        self._thread.start()

    def _run(self, session: Session, spec: LoadSpec) -> None:
        try:
            self.result = session.driver.probe(spec)
        except BaseException as exc:  # reported by join()
            self.error = exc

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()

    def join(self, timeout_s: float) -> ProbeResult | None:
        self._thread.join(timeout_s)
        if self.error is not None:
            raise self.error
        return self.result


def hang_probe(
    session: Session, target: RequestTarget, probe_id: str, release: Callable[[], None]
) -> HangProbe:
    """One request while every upstream call hangs (the fake LLM in `hang` mode): does the route answer
    within `hang_s`, and if not, when would its deadlines cut the hung call?

    As soon as the request's hung call is seen, the app is asked which deadlines the request has armed.
    When the earliest lies beyond `hang_s`, nothing can wake the request before the probe ends: the probe
    concludes at once. A request left hanging costs the app one idle coroutine (or thread) until the fake
    LLM stops, except when the hung call holds the event loop itself (a sync client on the loop): then
    `release` is called, which must cut it, so the next route finds a working app.
    """
    config = session.config
    session.upstream.reset()
    headers = {**session.headers(target), PROBE_HEADER.decode(): probe_id}
    spec = LoadSpec(
        url=session.app.base + target.path,
        method=target.method,
        body=target.body_text,
        headers=headers,
        users=1,
        timeout_s=config.hang_s,
    )
    started = time.monotonic()
    background = _Background(session, spec)
    deadlines, sockets, awaiting = _seen_hanging(session, probe_id, started)
    earliest = HangProbe(
        answered=False, status=None, latency_ms=0.0, waited_s=0.0, upstream_calls=1,
        deadlines_s=deadlines, socket_timeouts_s=sockets,
    ).deadline_s  # fmt: skip
    early = earliest is not None and earliest > config.hang_s and not background.done
    result = None if early else background.join(config.hang_s + 30.0)
    waited = time.monotonic() - started if early else config.hang_s
    stall_ms = session.app.snapshot().current_stall_ms
    calls = session.upstream.stats().hangs_total
    answered = result is not None and result.answered
    if not answered and stall_ms >= max(5 * config.block_ms, _STUCK_MS):
        release()
    return HangProbe(
        answered=answered,
        status=result.status if answered and result is not None else None,
        latency_ms=result.latency_ms if answered and result is not None else round(waited * 1000.0, 3),
        waited_s=round(waited, 3),
        upstream_calls=calls,
        deadlines_s=None if answered else deadlines,
        socket_timeouts_s=() if answered else sockets,
        loop_stall_ms=stall_ms,
        max_deadline_s=config.max_deadline_s,
        awaiting_at=None if answered else awaiting,
    )


def _seen_hanging(
    session: Session, probe_id: str, started: float
) -> tuple[tuple[float, ...] | None, tuple[float | None, ...], Frame | None]:
    """Wait until the probe's call hangs at the upstream, then read the request's deadlines in the app.

    The client arms its read deadline just after sending, which a loaded app may do a while after the
    upstream saw the call: read until a timer or a socket timeout shows up, for up to `_ARMING_S`."""
    while time.monotonic() - started < session.config.hang_s:
        if session.upstream.stats().hangs_total >= 1:
            return _read_deadlines(session, probe_id)
        time.sleep(_POLL_S)
    return None, (), None


def _read_deadlines(
    session: Session, probe_id: str
) -> tuple[tuple[float, ...] | None, tuple[float | None, ...], Frame | None]:
    give_up = time.monotonic() + _ARMING_S
    while True:
        time.sleep(_POLL_S)
        try:
            report = session.app.in_flight()
        except ProcessFailed:  # the app's side channel did not answer: the deadlines stay unknown
            return None, (), None
        deadlines, sockets = _deadlines(report, probe_id)
        request = report.for_probe(probe_id)
        if deadlines or sockets or time.monotonic() >= give_up:
            return deadlines, sockets, request.awaiting_at if request is not None else None


def _deadlines(
    report: InFlightReport, probe_id: str
) -> tuple[tuple[float, ...] | None, tuple[float | None, ...]]:
    """(the probe request's armed timers as seconds after it started, blocking upstream sockets' timeouts)."""
    request = report.for_probe(probe_id)
    if request is None:
        return None, report.upstream_socket_timeouts_s
    timers = tuple(round(request.age_s + t, 3) for t in request.timers_s)
    return timers, report.upstream_socket_timeouts_s
