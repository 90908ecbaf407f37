"""`RunConfig`: the one typed configuration of `awaitbench run`, validated once before anything starts.

The CLI maps its flags onto this object; the orchestrator reads nothing else. Defaults are chosen so
that the full default suite fits in about ten minutes on a two-core machine (see docs/bench.md for
the arithmetic), and `--quick` (core six, pitfall and fix only, at each one's headline load) in about
90 seconds. Without `--users`, every scenario is measured at its own loads (`Scenario.loads`): the
theory knows where its knee is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from bench.errors import UsageError
from bench.options import option
from bench.results import Loop

__all__ = [
    "DEFAULT_DURATION_S",
    "DEFAULT_WARMUP_S",
    "ENV_PREFIX",
    "LOOPS",
    "QUICK_DURATION_S",
    "QUICK_WARMUP_S",
    "Loop",
    "LoopChoice",
    "RunConfig",
    "default_reference_users",
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


ENV_PREFIX = "AWAITBENCH_RUN_"


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
        min_requests: fewer completed requests in the window make a point invalid.
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
        DEFAULT_DURATION_S, flag="--duration", quick=QUICK_DURATION_S, help="measured window per point, s"
    )
    warmup_s: float = option(
        DEFAULT_WARMUP_S, flag="--warmup", quick=QUICK_WARMUP_S, help="excluded warm-up per point, s"
    )
    loop: LoopChoice = option("uvloop", help="event loop of the apps (both: a point on each)")
    preset: str | None = option(
        None, help="fake_llm preset for every point (default: each scenario's upstream)"
    )
    processes: int = option(1, help="Locust processes (locust --processes; -1 = one per core)")
    app_workers: int = option(1, help="uvicorn workers of each variant app")
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
    min_requests: int = 10

    def __post_init__(self) -> None:
        if self.users is not None and (not self.users or any(u < 1 for u in self.users)):
            raise UsageError("`users` must list at least one positive user count")
        if not 0 < self.duration_s <= 3600:
            raise UsageError(f"--duration {self.duration_s:g} must be in (0, 3600] seconds")
        if not 0 <= self.warmup_s <= 600:
            raise UsageError(f"--warmup {self.warmup_s:g} must be in [0, 600] seconds")
        if self.loop not in LOOPS:
            raise UsageError(f"--loop {self.loop!r}: choose uvloop, asyncio or both")
        if self.processes < 1 and self.processes != -1:
            raise UsageError(f"--processes {self.processes}: use a positive count, or -1 for one per core")
        if self.app_workers < 1:
            raise UsageError(f"--app-workers {self.app_workers} must be at least 1")
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

    @property
    def loops(self) -> tuple[Loop, ...]:
        return LOOPS[self.loop]


def default_reference_users(users: tuple[int, ...]) -> int:
    """The run-wide fallback load of the summary (a scenario without a headline load, or older runs):
    100 users when measured, else the highest load."""
    return 100 if 100 in users else max(users)
