"""The results format as typed records: the manifest of a run and one record per measured point.

Plain frozen dataclasses; `bench.results.files` reads and writes them as JSON (pydantic `TypeAdapter`s) and
`schema.json` is generated from them (`python scripts/schemas.py`). Fields with a default may be missing
from a file: a reader fills in the default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from bench.results.ids import point_id

__all__ = [
    "SCHEMA_NAME",
    "SCHEMA_VERSION",
    "Arrival",
    "ArrivalFigures",
    "CapacityResult",
    "CapacityStep",
    "CapacityVerdict",
    "DatabaseFigures",
    "HeadlineInfo",
    "LatencySummary",
    "LoadKind",
    "LoadgenFigures",
    "Loop",
    "Manifest",
    "PointRecord",
    "PointStatus",
    "Role",
    "RunStatus",
    "ScenarioInfo",
    "SchemaVersion",
    "ServerFigures",
    "SignalInfo",
    "SteadyState",
    "TheoryFigures",
    "UpstreamFigures",
    "VariantInfo",
]

SchemaName = Literal["awaitbench.results"]
SchemaVersion = Literal[1]
SCHEMA_NAME: Final[SchemaName] = "awaitbench.results"
SCHEMA_VERSION: Final[SchemaVersion] = 1

Loop = Literal["uvloop", "asyncio"]  # the event loops an app can run on; one definition for every package
RunStatus = Literal["running", "complete", "interrupted", "failed"]
PointStatus = Literal["ok", "failed"]
Role = Literal["pitfall", "fix", "reference"]
# What a point's load is: closed-loop users (Locust), or an offered arrival rate (the open-loop generator).
LoadKind = Literal["users", "rate"]
Arrival = Literal["constant", "poisson"]
CapacityVerdict = Literal["within", "beyond", "invalid"]


# ---------------------------------------------------------------------------------------------- manifest


@dataclass(frozen=True, kw_only=True)
class VariantInfo:
    """A variant as the report shows it; `code` is the variant's source, for the side-by-side view."""

    id: str
    title: str
    role: Role
    summary: str = ""
    code: str = ""


@dataclass(frozen=True, kw_only=True)
class SignalInfo:
    """A figure a scenario declares as evidence of its pitfall beyond req/s and p99, as the manifest keeps it.

    `figure` names where the number comes from in a point record (see `bench.results.named_figures`); `kind`
    says how two values are judged different: counts whenever they differ, per-request rates only when
    they differ by `min_gap` and by 15 %.
    """

    name: str  # the label a reader sees: "records written/request"
    figure: str  # "failures", "upstream_429s", ..., or "app:<counter>/request"
    better: Literal["higher", "lower"]
    unit: str = ""
    kind: Literal["count", "rate"] = "rate"
    digits: int = 1
    min_gap: float = 0.0


@dataclass(frozen=True, kw_only=True)
class HeadlineInfo:
    """The one figure a scenario declares as its pitfall's cost, and the load to read it at.

    `metric` names a figure of a point record (see `bench.results.named_figures`); `text` is the slide's words
    for a pitfall that is worse than its fix, with placeholders filled by `bench.results.summary`
    (`{ratio}`, `{pitfall}`, `{fix}`, `{pitfall_pct}`, `{fix_pct}`, `{loss_pct}`).
    """

    metric: str  # "throughput_rps", "latency_p50_ms", "ttfb_p50_ms", "app:records_written/request", ...
    name: str  # the label a reader sees: "req/s", "p50 latency", "records written/request"
    better: Literal["higher", "lower"]
    users: int  # the reference load: the pitfall bites, the fix is not CPU-bound
    text: str  # e.g. "{ratio} fewer req/s", "loses {loss_pct} of writes"
    unit: str = ""
    digits: int = 1
    min_gap: float = 0.0  # the smallest absolute difference worth calling a difference
    caveat: str = ""  # why the cost may not show on a small or busy machine (said when it does not)


@dataclass(frozen=True, kw_only=True)
class ScenarioInfo:
    """Snapshot of a scenario's metadata at run time, so a report never needs the code that produced it."""

    id: str
    title: str
    pitfall: str
    fix: str
    signature: str
    pitfall_variant: str
    fix_variant: str
    variants: tuple[VariantInfo, ...]
    upstream_latency_ms: float
    source_file: str = ""
    module_doc: str = ""
    signals: tuple[SignalInfo, ...] = ()
    evidence_at_upstream: bool = False  # the proof is in what fake_llm saw: reports draw its chart
    headline: HeadlineInfo | None = None
    loads: tuple[int, ...] = ()  # the default suite's user counts for this scenario


@dataclass(frozen=True, kw_only=True)
class CapacityStep:
    """One offered rate the capacity search measured, and how it judged it against the SLO.

    `within`: p99 (unanswered and dropped requests counted, as lower bounds) within the SLO, failed share
    under the limit, the point valid and at a steady state; `beyond`: not; `invalid`: the generator (not
    the app) could not keep the schedule, so the rate says nothing about the app.
    """

    offered_rps: float
    verdict: CapacityVerdict
    point_id: str
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class CapacityResult:
    """The highest offered rate a variant sustains within an SLO (`awaitbench run --find-capacity`).

    `capacity_rps` is the highest rate measured within the SLO (None: not even the lowest rate tried);
    the truth lies between it and `first_beyond_rps`. `lower_bound` says the search could not look
    higher (its highest rate, its point budget, or a generator that could not keep up): the capacity is
    at least this. `theory_capacity_rps` is the scenario's own prediction (None: its theory sets no
    limit; the app's CPU decides).
    """

    scenario: str
    variant: str
    loop: Loop
    arrival: Arrival
    slo_p99_ms: float
    max_failed_share: float
    capacity_rps: float | None
    first_beyond_rps: float | None
    lower_bound: bool
    theory_capacity_rps: float | None
    steps: tuple[CapacityStep, ...] = ()
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class Manifest:
    """The run as a whole. `status` is "running" until the run ends; a crash leaves it "running"."""

    run_id: str
    started_at: str  # ISO 8601, UTC
    ended_at: str | None
    status: RunStatus
    awaitbench_version: str
    git_commit: str | None
    machine: Mapping[str, Any]  # cpu_count, cpu_model, python, platform, memory_gb, ...
    versions: Mapping[str, str]  # package -> version (uvicorn, fastapi, openai, locust, ...)
    config: Mapping[str, Any]  # the full run configuration, as given
    reference_users: int  # the load at which summaries compare pitfall vs fix
    scenarios: tuple[ScenarioInfo, ...]
    planned_points: tuple[str, ...] = ()  # point ids in run order; missing files = not measured
    # The load each scenario's summary compares at (its headline load, or --reference-users); a manifest
    # without it compares every scenario at `reference_users`.
    reference_users_by_scenario: Mapping[str, int] = field(default_factory=dict)
    capacity: tuple[CapacityResult, ...] = ()  # `--find-capacity`: one result per searched variant
    schema: SchemaName = SCHEMA_NAME
    schema_version: SchemaVersion = SCHEMA_VERSION


# ---------------------------------------------------------------------------------------------- points


@dataclass(frozen=True, kw_only=True)
class LatencySummary:
    """Exact client-side latencies of the requests issued in the window, from per-request times (not
    Locust buckets).

    Every request issued in the window counts: answered (successfully or not) with its latency, or still
    in flight when the window ended, with its age then as a lower bound on its latency (`censored`).
    Percentiles come from the Kaplan-Meier estimate over both; a figure that rests on a lower bound is
    named in `lower_bounds` ("p99 >= 2,950 ms"). A record without `censored` counted only the requests that
    completed successfully inside the window.
    """

    count: int  # requests in the summary: answered + censored
    mean_ms: float
    p50_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    min_ms: float
    # Empirical CDF, downsampled: [[latency_ms, cumulative_fraction], ...] ascending, ending at 1.0, or
    # below 1.0 by the share of requests still unanswered after longer than any answer took.
    cdf: tuple[tuple[float, float], ...] = ()
    censored: int = 0  # requests still in flight at the window's end (their age is a lower bound)
    lower_bounds: tuple[str, ...] = ()  # fields that are lower bounds, e.g. ("p99_ms", "p999_ms", "max_ms")

    def is_lower_bound(self, field_name: str) -> bool:
        """Whether `field_name` ("p99_ms", ...) is only a lower bound (it rests on unanswered requests)."""
        return field_name in self.lower_bounds


@dataclass(frozen=True, kw_only=True)
class ServerFigures:
    """The scenario app's process during the window (psutil + the in-process loop-lag probe)."""

    cpu_seconds: float
    cpu_ms_per_request: float
    cpu_percent: float  # 100 = one full core
    rss_mb: float
    open_fds: int
    threads: int
    loop_lag_p50_ms: float | None
    loop_lag_p99_ms: float | None
    loop_lag_max_ms: float | None
    threadpool_busy_peak: int | None = None  # anyio limiter tokens borrowed, peak
    app_stats: Mapping[str, Any] = field(default_factory=dict)  # scenario counters (e.g. records written)


@dataclass(frozen=True, kw_only=True)
class UpstreamFigures:
    """What fake_llm saw during the window (its /stats after a reset at window start)."""

    requests: int
    peak_concurrency: int
    connections_opened: int
    connections_per_request: float
    rate_limited: int  # 429s answered
    server_errors: int  # 5xx answered
    hangs: int
    cpu_percent: float | None = None


@dataclass(frozen=True, kw_only=True)
class DatabaseFigures:
    """A database scenario's PostgreSQL during the window: the app's pool (its peaks since the app started,
    from `/app-stats`; None when its pool does not report one) and the server's own view, pg_stat_activity
    sampled every `sample_every_ms` (the app's connections only).

    "At peak" is the sample with the most connections busy (running a query or idle in transaction): a
    held session shows as idle in transaction there, a blocked loop as never more than one query running.
    """

    samples: int
    sample_every_ms: float
    active_peak: int  # queries running at once, most seen
    active_at_peak: int
    idle_in_transaction_at_peak: int
    connections_peak: int  # the app's connections open at once, most seen
    # Over the samples: Little's law says active = X·q (queries), idle in transaction = X·(time held
    # between statements), so these check a theory where a single peak sample cannot.
    active_mean: float = 0.0
    idle_in_transaction_mean: float = 0.0
    pool_checked_out_peak: int | None = None
    pool_waiting_peak: int | None = None
    pool_timeouts: int | None = None


@dataclass(frozen=True, kw_only=True)
class LoadgenFigures:
    """The load generator's own health: a saturated generator makes the point invalid."""

    cpu_percent: float  # the busiest generator process, mean over the window, 100 = one core
    processes: int
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class TheoryFigures:
    """The scenario's prediction for this point, stored beside the measurement."""

    throughput_rps: float
    latency_ms: float
    littles_law_bound_rps: float  # U / upstream latency: the ideal for a perfectly concurrent app
    note: str = ""
    # Measured throughput / (U / measured mean latency): ~1.0 when the closed loop kept every user busy
    # (no generator gaps); well below 1 when the window is not at steady state or the generator lagged.
    closed_loop_fidelity: float | None = None
    # The most the variant serves in theory, whatever the load (None: the theory sets no limit, the app's
    # CPU does). The open-loop charts draw it.
    capacity_rps: float | None = None


@dataclass(frozen=True, kw_only=True)
class SteadyState:
    """Whether the window saw a steady state, from the request log (`bench.measure.steady`).

    Not steady: goodput in the window's two halves differs by more than 20 % (beyond counting noise),
    or the requests in flight are still ageing (a pile-up, or a queue still filling): the window then
    under-states latencies and the pitfall's cost grows with time.
    """

    reached: bool
    first_half_rps: float
    second_half_rps: float
    in_flight_whole_window: int  # in flight when the window started and still when it ended
    in_flight_age_mid_ms: float = 0.0  # mean age of the requests in flight at the window's middle
    in_flight_age_end_ms: float = 0.0  # ... and at its end
    reasons: tuple[str, ...] = ()
    # Open loop only: requests in flight at the window's start and end. A growing backlog means the server
    # fell behind the offered rate.
    backlog_start: int | None = None
    backlog_end: int | None = None


@dataclass(frozen=True, kw_only=True)
class ArrivalFigures:
    """The open-loop generator's side of a point offered at a fixed arrival rate (`awaitbench run --rate`).

    Every request due in the window counts: sent (its latency runs from its INTENDED send time), or
    dropped because `max_outstanding` requests were already in flight (a failure, in `failures`).
    The schedule lag (actual minus intended send) says whether the generator itself kept up.
    """

    arrival: Arrival
    offered_rps: float
    issued: int  # requests due in the window: sent + dropped
    dropped: int
    max_outstanding: int
    seed: int
    schedule_lag_p50_ms: float
    schedule_lag_p99_ms: float
    schedule_lag_max_ms: float


@dataclass(frozen=True, kw_only=True)
class PointRecord:
    """One (scenario, variant, loop, load) measurement, or its failure.

    The load is `users` closed-loop users (`load` "users"), or an offered arrival rate (`load` "rate":
    `offered_rps`, with `users` 0 and the generator's figures in `arrival`).
    """

    scenario: str
    variant: str
    loop: Loop
    users: int
    status: PointStatus
    valid: bool  # False when the generator or fake_llm ran out of CPU, or too few requests
    invalid_reasons: tuple[str, ...] = ()
    started_at: str = ""
    warmup_s: float = 0.0
    window_s: float = 0.0
    requests: int = 0  # answered inside the window (successfully or not)
    failures: int = 0  # of those, answered with an error (5xx, a reset...): counted, not goodput
    throughput_rps: float = 0.0
    latency: LatencySummary | None = None
    server: ServerFigures | None = None
    upstream: UpstreamFigures | None = None
    loadgen: LoadgenFigures | None = None
    theory: TheoryFigures | None = None
    error: str | None = None  # one line, when status == "failed"
    stderr_tail: str = ""  # the failing child's last output lines
    profile_files: tuple[str, ...] = ()  # paths relative to the results directory
    # Client time to the first body byte, for scenarios whose request is streamed (None otherwise).
    ttfb: LatencySummary | None = None
    # Requests issued in the window and still unanswered at its end after longer than any answered request
    # took, and the steady-state check.
    unanswered: int = 0
    steady_state: SteadyState | None = None
    load: LoadKind = "users"
    offered_rps: float | None = None
    arrival: ArrivalFigures | None = None
    database: DatabaseFigures | None = None  # None: the scenario uses no database
    schema_version: SchemaVersion = SCHEMA_VERSION

    @property
    def steady(self) -> bool:
        """False only when the steady-state check ran and failed (a record without it: assumed steady)."""
        return self.steady_state is None or self.steady_state.reached

    @property
    def load_value(self) -> float:
        """The point's load on one axis: users, or the offered rate in req/s."""
        return float(self.users) if self.load == "users" else float(self.offered_rps or 0.0)

    @property
    def dropped(self) -> int:
        """Requests the open loop did not send (`max_outstanding` in flight); 0 for a closed loop."""
        return self.arrival.dropped if self.arrival is not None else 0

    @property
    def id(self) -> str:
        if self.load == "rate":
            return point_id(self.scenario, self.variant, self.loop, rate_rps=self.offered_rps)
        return point_id(self.scenario, self.variant, self.loop, self.users)
