"""The evidence a diagnosis collects for one route, as plain frozen data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from awaitbench.detect.diagnose.outbound import OutboundHost
from awaitbench.detect.watchdog.report import BlockState, Frame

__all__ = [
    "SDK_ATTEMPTS",
    "BlockSite",
    "DbPoolFigures",
    "HangProbe",
    "LoopFigures",
    "NeverAwaitedSite",
    "PhaseFigures",
    "PhaseName",
    "RetryProbe",
    "RouteEvidence",
    "RouteRef",
    "UpstreamFigures",
]

PhaseName = Literal["one_user", "load", "threadpool"]
SDK_ATTEMPTS = 3
"""What the official SDKs make of one call by themselves: one attempt and `max_retries=2`."""


@dataclass(frozen=True, kw_only=True)
class RouteRef:
    """A route as the user sees it: `POST /ask` named `ask`."""

    method: str
    path: str
    name: str

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True, kw_only=True)
class UpstreamFigures:
    """What the fake LLM received during a phase.

    Args:
        calls: API requests received (every attempt counts).
        new_connections: connections that carried their first API request.
        peak_in_flight: most calls in service at once.
        rate_limited: 429s answered.
        hangs: calls hung on purpose (the hang probe).
    """

    calls: int = 0
    new_connections: int = 0
    peak_in_flight: int = 0
    rate_limited: int = 0
    hangs: int = 0


@dataclass(frozen=True, kw_only=True)
class DbPoolFigures:
    """The app's SQLAlchemy connection pools during a phase (their checkout and checkin events).

    Args:
        checkouts: connections lent by a pool.
        held_ms: how long the connections returned in the phase were held, summed.
        peak_checked_out: most connections lent at once (all pools of the process).
        capacity: `pool_size + max_overflow` of the pool that lent the most (None: not a queue pool).
    """

    checkouts: int = 0
    held_ms: float = 0.0
    peak_checked_out: int = 0
    capacity: int | None = None


@dataclass(frozen=True, kw_only=True)
class BlockSite:
    """The loop blocks attributed to one location of the app during a phase.

    Args:
        location: the app's innermost frame the watchdog saw.
        state: `parked` (waiting in a system call: a sync client, sleep, file) or `running` (computing).
        count / total_ms / max_ms: how many blocks, their summed and longest duration.
        on_cpu_fraction: median share of the blocks the loop thread was on a CPU (None: not measured).
        stack: an example stack, outermost first (user and library frames).
        routes: the routes the blocked tasks served.
    """

    location: Frame
    state: BlockState
    count: int
    total_ms: float
    max_ms: float
    on_cpu_fraction: float | None
    stack: tuple[Frame, ...] = ()
    routes: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class NeverAwaitedSite:
    """A coroutine dropped without `await`, and where it was created (None without origin tracking)."""

    coroutine: str
    defined_at: Frame
    origin: Frame | None
    count: int


@dataclass(frozen=True, kw_only=True)
class LoopFigures:
    """What the agent inside the app saw during a phase.

    Args:
        threshold_ms: the block threshold in use.
        blocked_ms / blocks: all loop blocks of the phase.
        sites: blocks by location, most blocked time first.
        threadpool_peak / threadpool_total: anyio's default limiter (None: the app has no anyio loop).
        threadpool_waiting_peak: most tasks queued for a token at once.
        threadpool_saturated_ms: time every token was borrowed.
        threadpool_borrowed_ms: borrowed tokens integrated over the phase (token-ms).
        threadpool_waiting_ms: tasks waiting for a token integrated over the phase (task-ms).
        never_awaited: dropped coroutines by origin.
        unclosed: ResourceWarnings (unclosed clients, sockets, transports).
        unclosed_example: the first one's message.
    """

    threshold_ms: float = 0.0
    blocked_ms: float = 0.0
    blocks: int = 0
    sites: tuple[BlockSite, ...] = ()
    threadpool_peak: int = 0
    threadpool_total: int | None = None
    threadpool_waiting_peak: int = 0
    threadpool_saturated_ms: float = 0.0
    threadpool_borrowed_ms: float = 0.0
    threadpool_waiting_ms: float = 0.0
    never_awaited: tuple[NeverAwaitedSite, ...] = ()
    unclosed: int = 0
    unclosed_example: str = ""


@dataclass(frozen=True, kw_only=True)
class PhaseFigures:
    """One phase of one route.

    Args:
        name: `one_user` (R₁, k, connections), `load` (N users), `threadpool` (past the token count).
        users: concurrent closed-loop users.
        started: requests sent in the whole phase (the per-request figures divide by it).
        requests: answers counted in the window; `errors`: requests that got no answer.
        statuses: answers by HTTP status.
        window_s: the measurement window; `wall_s`: the whole phase (warm-up and drain included).
        throughput_rps: answers per second in the window.
        latency_p50_ms / latency_p99_ms: of the counted answers.
        upstream: the fake LLM's view.
        loop: the agent's view.
        app_cpu_ms_per_request: the app process's CPU (all threads, children included) per answer.
        loop_cpu_ms_per_request: the event loop thread's CPU per answer.
        driver_cpu_share: the load driver's CPU as a share of a core (near 1: the phase is not trustworthy).
        upstream_latency_ms: the fake LLM's latency in this phase when it was not the route's L (the
            threadpool phase lengthens it so that threads, not the CPU, would bound the route).
        outbound: the hosts the app called or resolved during the phase, and what happened.
        db_pool: the app's SQLAlchemy pools (None: no connection was checked out).
    """

    name: PhaseName
    users: int
    started: int
    requests: int
    errors: int
    statuses: Mapping[str, int]
    window_s: float
    wall_s: float
    throughput_rps: float
    latency_p50_ms: float | None
    latency_p99_ms: float | None
    upstream: UpstreamFigures
    loop: LoopFigures
    app_cpu_ms_per_request: float | None = None
    loop_cpu_ms_per_request: float | None = None
    driver_cpu_share: float = 0.0
    upstream_latency_ms: float | None = None
    outbound: tuple[OutboundHost, ...] = ()
    db_pool: DbPoolFigures | None = None

    @property
    def calls_per_request(self) -> float:
        """Upstream calls per request (k)."""
        return self.upstream.calls / self.started if self.started else 0.0

    @property
    def new_connections_per_call(self) -> float:
        return self.upstream.new_connections / self.upstream.calls if self.upstream.calls else 0.0

    @property
    def blocked_share(self) -> float:
        """Share of the phase the loop spent in blocks (over the threshold)."""
        return self.loop.blocked_ms / (self.wall_s * 1000.0) if self.wall_s > 0 else 0.0

    @property
    def cpu_bound_rps(self) -> float | None:
        """What one core serves at this phase's app CPU per request: Python runs one thread at a time,
        so a route at (or near) this throughput is bound by the CPU, whatever else it waits for."""
        cpu = self.app_cpu_ms_per_request
        return 1000.0 / cpu if cpu else None

    @property
    def ok_share(self) -> float:
        """Share of the answers with a 2xx/3xx status."""
        good = sum(n for status, n in self.statuses.items() if status[:1] in ("2", "3"))
        total = self.requests + self.errors
        return good / total if total else 0.0


@dataclass(frozen=True, kw_only=True)
class RetryProbe:
    """One request while every upstream call is answered 429 with a Retry-After.

    Args:
        answered / status / latency_ms: what the route did.
        upstream_attempts: calls the upstream received for it (every retry counts).
        retry_after_ms: the Retry-After the upstream sent.
        calls_at_once: upstream calls the route starts together (from the one-user phase), to turn
            attempts per request into attempts per call.
        settled: the upstream was quiet before the probe; False: the app still called it for earlier
            requests (a blocked loop working through its backlog), so no probe was sent.
    """

    answered: bool
    status: int | None
    latency_ms: float
    upstream_attempts: int
    retry_after_ms: float
    calls_at_once: int = 1
    settled: bool = True

    @property
    def attempts_per_call(self) -> float:
        return self.upstream_attempts / max(self.calls_at_once, 1)

    @property
    def spacing_ms(self) -> float | None:
        """Mean wait between two attempts of one call (None without a retry)."""
        retries = self.attempts_per_call - 1
        return self.latency_ms / retries if retries >= 1 else None


@dataclass(frozen=True, kw_only=True)
class HangProbe:
    """One request while every upstream call hangs (never answers).

    Args:
        answered / status / latency_ms: what the route did within `waited_s` (the probe's length, or
            less when the armed deadlines showed early that no answer could come within it).
        upstream_calls: calls that reached the upstream and hung.
        deadlines_s: when the timers the request had armed fire, in seconds after it started (read in
            the app while the call hung; None when it answered first).
        socket_timeouts_s: timeouts of blocking sockets to the upstream (a sync client's deadline; None
            in the tuple = no timeout at all).
        loop_stall_ms: how long the app's loop had been unresponsive at the end (a sync call on the loop).
        max_deadline_s: the longest deadline that does not count as a finding (`--max-deadline-s`).
        awaiting_at: the app's line the hung request was suspended at (None: not seen).
    """

    answered: bool
    status: int | None
    latency_ms: float
    waited_s: float
    upstream_calls: int
    deadlines_s: tuple[float, ...] | None = None
    socket_timeouts_s: tuple[float | None, ...] = ()
    loop_stall_ms: float = 0.0
    max_deadline_s: float = 120.0
    awaiting_at: Frame | None = None

    @property
    def deadline_s(self) -> float | None:
        """Seconds after the request started when its hung call would be cut: the earliest timer it
        armed, else its sync sockets' timeout (the longest seen; inf when one has none); None when neither
        was seen."""
        if self.deadlines_s:
            return min(self.deadlines_s)
        timeouts = self.socket_timeouts_s
        if timeouts:
            return (
                float("inf")
                if any(t is None for t in timeouts)
                else max(t for t in timeouts if t is not None)
            )
        return None


@dataclass(frozen=True, kw_only=True)
class RouteEvidence:
    """Everything measured for one route.

    Args:
        route: which route.
        upstream_latency_ms: the fake LLM's latency per call (L).
        users: N of the load phase.
        one_user / load / threadpool: the phases run (threadpool only when the route held a token).
        retry / hang: the fault probes (None: the route makes no upstream call).
    """

    route: RouteRef
    upstream_latency_ms: float
    users: int
    one_user: PhaseFigures
    load: PhaseFigures | None = None
    threadpool: PhaseFigures | None = None
    retry: RetryProbe | None = None
    hang: HangProbe | None = None
