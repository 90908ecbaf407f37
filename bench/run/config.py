"""`RunConfig`: the one typed configuration of `awaitbench run`, validated once before anything starts."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from awaitbench.options import Check, Options, at_least, check_fields, option
from bench.errors import UsageError
from bench.loadgen.open_loop_config import DEFAULT_MAX_OUTSTANDING
from bench.loadgen.schedule import Arrival
from bench.results import Loop
from bench.results.ids import MAX_RATE_RPS

__all__ = [
    "DEFAULT_DURATION_S",
    "DEFAULT_WARMUP_S",
    "LOOPS",
    "OPTIONS",
    "QUICK_DURATION_S",
    "QUICK_WARMUP_S",
    "Loop",
    "LoopChoice",
    "RunConfig",
    "default_reference_users",
    "parse_rates",
    "parse_users",
]

LoopChoice = Literal["uvloop", "asyncio", "both"]
LOOPS: dict[LoopChoice, tuple[Loop, ...]] = {
    "uvloop": ("uvloop",),
    "asyncio": ("asyncio",),
    "both": ("uvloop", "asyncio"),
}

# Window and warm-up per point (seconds). The window is long enough for >= 10 answers from the slowest
# pitfall (~3 req/s) and for throughput to repeat within 10 %; 1 s of warm-up covers spawning every
# user (0.25 s) and opening the client pools. See docs/bench.md for the measured suite times.
DEFAULT_DURATION_S = 3.0
DEFAULT_WARMUP_S = 1.0
QUICK_DURATION_S = 2.0
QUICK_WARMUP_S = 1.0
MAX_USERS = 5000


def parse_users(text: str) -> tuple[int, ...]:
    """`"1,10,50"` -> (1, 10, 50): sorted, unique, each in 1..MAX_USERS.

    Raises:
        UsageError: on an empty list, a non-integer or an out-of-range value.
    """
    parts = [p.strip() for p in text.split(",")]
    if not any(parts):
        raise UsageError("--users needs a comma-separated list of user counts, e.g. --users 10,100")
    if not all(parts):
        raise UsageError(f"--users {text!r} has an empty entry; write the counts like --users 10,100")
    values: set[int] = set()
    for part in parts:
        try:
            value = int(part)
        except ValueError:
            raise UsageError(f"--users: '{part}' is not an integer (example: --users 1,10,100)") from None
        if not 1 <= value <= MAX_USERS:
            raise UsageError(f"--users: {value} is out of range; each user count must be 1..{MAX_USERS}")
        values.add(value)
    return tuple(sorted(values))


def parse_rates(text: str) -> tuple[float, ...]:
    """`"5,40"` -> (5.0, 40.0): offered rates in req/s, sorted, unique, each finite and in (0, 100,000].

    Raises:
        UsageError: on an empty list, a non-number, a non-finite or an out-of-range value.
    """
    parts = [p.strip() for p in text.split(",")]
    if not all(parts):
        raise UsageError(f"--rate {text!r} has an empty entry; write the rates like --rate 5,40")
    values: set[float] = set()
    for part in parts:
        try:
            value = float(part)
        except ValueError:
            raise UsageError(
                f"--rate: '{part}' is not a number of requests/s (example: --rate 5,40)"
            ) from None
        if not math.isfinite(value) or not 0 < value <= MAX_RATE_RPS:
            raise UsageError(
                f"--rate: {part} is not a rate; each must be a positive, finite number of requests/s "
                f"up to {MAX_RATE_RPS:,.0f}"
            )
        values.add(value)
    return tuple(sorted(values))


def _timestamped_out_dir() -> Path:
    return Path("results") / f"run-{datetime.now():%Y%m%d-%H%M%S}"


@dataclass(frozen=True, kw_only=True)
class RunConfig:
    """Everything one `awaitbench run` does; each field marked `option` is also a flag and an env var
    (`awaitbench run --help`, docs/bench.md).

    Args:
        selection: scenario ids or `scenario:variant` selectors; empty = the whole catalogue.
        users: closed-loop user counts, one load point each, ascending, for every scenario; None: each
            scenario's own loads (pitfall and fix at every one, further variants at the headline load),
            or under `quick` its headline load only.
        duration_s: the measured steady-state window of each point.
        warmup_s: load before the window that is excluded from every figure.
        loop: event loop(s) the apps run on.
        preset: a fake_llm preset applied to every point (None = each scenario's own upstream).
        processes: Locust processes (`locust --processes`); 1 = a single process.
        app_workers: uvicorn workers of the variant app.
        profile: record a py-spy profile of each variant's highest-load point.
        out_dir: the results directory.
        quick: core six, pitfall and fix only.
        reference_users: the load at which the summary compares pitfall and fix, for every scenario that
            has it (None: each scenario's headline load; see `bench.run.plan.summary_users_for`).
        probe: run the in-app loop-lag probe (turned off only to measure its own cost).
        summary_json: also write the pitfall/fix summary there.
        rates: offered arrival rates (req/s), one open-loop point each, for every variant (instead of
            `users`).
        arrival: the open loop's arrival process (None: "constant"); only with `rates` or `find_capacity`.
        max_outstanding: the open loop's bound on requests in flight; a request due beyond it is dropped
            (a failure).
        find_capacity: search each variant's highest offered rate within `slo_p99_ms` (open loop).
        slo_p99_ms: the p99 latency (ms) `find_capacity` keeps within.
        seed: the Poisson arrivals' seed (the same for every point, so pitfall and fix get the same
            arrivals).
        min_requests: fewer completed requests in the window make a point invalid.
        db_url: an existing PostgreSQL for the database scenarios (the bench seeds its schema `awaitbench`);
            None: a fresh server started for the run and removed with it.
    """

    selection: tuple[str, ...] = option(
        (), positional=True, metavar="SCENARIO[:VARIANT]", help="what to measure (default: everything)"
    )
    users: tuple[int, ...] | None = option(
        None,
        parse=parse_users,
        metavar="N,N,...",
        doc_default="per scenario",
        help="closed-loop user counts for every scenario, comma-separated, one point each "
        "(default: each scenario's own loads; --quick: its headline load)",
    )
    duration_s: float = option(
        DEFAULT_DURATION_S,
        flag="--duration",
        quick=QUICK_DURATION_S,
        help="measured window per point, s",
        check=Check(text="in (0, 3600] seconds", ok=lambda s: 0 < s <= 3600),
    )
    warmup_s: float = option(
        DEFAULT_WARMUP_S,
        flag="--warmup",
        quick=QUICK_WARMUP_S,
        help="excluded warm-up per point, s",
        check=Check(text="in [0, 600] seconds", ok=lambda s: 0 <= s <= 600),
    )
    loop: LoopChoice = option("uvloop", help="event loop of the apps (both: a point on each)")
    preset: str | None = option(
        None, help="fake_llm preset for every point (default: each scenario's upstream)"
    )
    processes: int = option(
        1,
        help="Locust processes (locust --processes; -1 = one per core)",
        check=Check(text="a positive count, or -1 for one per core", ok=lambda n: n >= 1 or n == -1),
    )
    app_workers: int = option(1, help="uvicorn workers of each variant app", check=at_least(1))
    profile: bool = option(False, help="py-spy each variant's highest-load point")
    out_dir: Path = option(
        default_factory=_timestamped_out_dir,
        flag="--out",
        metavar="DIR",
        doc_default="results/run-<timestamp>",
        help="results directory",
    )
    quick: bool = option(False, help="core six, pitfall and fix, at each one's headline load")
    reference_users: int | None = option(
        None, help="load of the summary for every scenario (default: each scenario's headline load)"
    )
    probe: bool = option(
        True, help="measure loop lag and threadpool use in the apps (off: the probe's own cost)"
    )
    summary_json: Path | None = option(
        None, metavar="FILE", help="also write the pitfall/fix summary as JSON"
    )
    rates: tuple[float, ...] | None = option(
        None,
        flag="--rate",
        parse=parse_rates,
        metavar="R,R,...",
        help="open loop: offered arrival rates in req/s, comma-separated, one point each, for every "
        "variant (instead of --users)",
    )
    arrival: Arrival | None = option(
        None,
        doc_default="constant",
        help="open loop's arrivals: constant (request i at i / R) or poisson (seeded random gaps)",
    )
    max_outstanding: int = option(
        DEFAULT_MAX_OUTSTANDING,
        help="open loop: requests in flight at most; one due beyond is dropped (counted as a failure)",
    )
    find_capacity: bool = option(
        False, help="search each variant's highest offered rate within --slo-p99-ms (open loop)"
    )
    slo_p99_ms: float | None = option(
        None, metavar="MS", help="the p99 latency --find-capacity keeps within, ms"
    )
    seed: int = option(1, help="seed of the Poisson arrivals (the same for every point)")
    db_url: str | None = option(
        None,
        metavar="URL",
        doc_default="a fresh server per run",
        help="PostgreSQL for the database scenarios, postgresql://USER@HOST:PORT/DB (its schema awaitbench "
        "is recreated and seeded)",
    )
    min_requests: int = 10

    def __post_init__(self) -> None:
        check_fields(self, UsageError)
        self._check_loads()
        self._check_open_loop()
        if self.users is not None and (not self.users or any(u < 1 for u in self.users)):
            raise UsageError("`users` must list at least one positive user count")
        if self.db_url is not None and not self.db_url.startswith(("postgresql://", "postgres://")):
            raise UsageError(f"--db-url {self.db_url!r}: give a postgresql://USER@HOST:PORT/DB URL")
        if self.reference_users is not None and not 1 <= self.reference_users <= MAX_USERS:
            raise UsageError(f"--reference-users {self.reference_users} must be in 1..{MAX_USERS}")
        if (
            self.reference_users is not None
            and self.users is not None
            and self.reference_users not in self.users
        ):
            raise UsageError(
                f"--reference-users {self.reference_users} is not one of --users "
                f"{','.join(map(str, self.users))}; pick one of them"
            )

    def _check_loads(self) -> None:
        if self.rates is not None and self.users is not None:
            raise UsageError(
                "--rate and --users are two kinds of load (open loop vs closed loop): give one of them"
            )
        if self.find_capacity and (self.rates is not None or self.users is not None):
            raise UsageError("--find-capacity chooses its own rates: drop --rate and --users")
        if self.rates is not None and (
            not self.rates or any(r <= 0 or not math.isfinite(r) for r in self.rates)
        ):
            raise UsageError("`rates` must list at least one positive, finite rate (req/s)")
        if self.open_loop and self.reference_users is not None:
            raise UsageError("--reference-users applies to closed-loop runs (--users), not to --rate")

    def _check_open_loop(self) -> None:
        if self.find_capacity and self.slo_p99_ms is None:
            raise UsageError(
                "--find-capacity needs --slo-p99-ms MS: the p99 latency each variant must stay within"
            )
        if self.slo_p99_ms is not None and not self.find_capacity:
            raise UsageError("--slo-p99-ms only applies with --find-capacity")
        if self.slo_p99_ms is not None and not (math.isfinite(self.slo_p99_ms) and self.slo_p99_ms > 0):
            raise UsageError(f"--slo-p99-ms {self.slo_p99_ms:g} must be a positive number of milliseconds")
        if self.arrival is not None and not self.open_loop:
            raise UsageError("--arrival applies to the open loop: add --rate R,... or --find-capacity")
        if self.max_outstanding < 1:
            raise UsageError(f"--max-outstanding {self.max_outstanding} must be at least 1")

    @property
    def loops(self) -> tuple[Loop, ...]:
        return LOOPS[self.loop]

    @property
    def open_loop(self) -> bool:
        """Arrival-rate points (the open-loop generator) rather than closed-loop users (Locust)."""
        return self.rates is not None or self.find_capacity

    @property
    def arrival_process(self) -> Arrival:
        return self.arrival or "constant"


def default_reference_users(users: tuple[int, ...]) -> int:
    """The run-wide fallback load of the summary (a scenario without a headline load, or older runs):
    100 users when measured, else the highest load."""
    return 100 if 100 in users else max(users)


OPTIONS = Options(RunConfig, env_prefix="AWAITBENCH_RUN_", error=UsageError, docs="docs/bench.md")
