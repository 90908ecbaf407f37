"""What the classifiers of loop blocks share: the phase to judge, sites by state, the upstream test.

Why one place: `sync_client`, `blocking_work` and `cpu_work` read the same blocks and must agree on which
of them is which pitfall (a parked loop waiting for the upstream is `sync_client`, never also
`blocking_work`).
"""

from __future__ import annotations

from dataclasses import dataclass

from awaitbench.detect.diagnose.evidence import BlockSite, PhaseFigures, RouteEvidence
from awaitbench.detect.watchdog.render import render_stack
from awaitbench.detect.watchdog.report import BlockState

__all__ = [
    "CLIENT_PACKAGES",
    "DB_DRIVER_PACKAGES",
    "MIN_BLOCKED_SHARE",
    "Parked",
    "busiest_phase",
    "in_client",
    "in_db_driver",
    "loop_waits_for_upstream",
    "parked_loop",
    "sites",
    "stack_lines",
    "state_ms",
]

MIN_BLOCKED_SHARE = 0.10
"""A loop blocked for less than a tenth of a phase is not a finding (GC pauses, a busy machine)."""


CLIENT_PACKAGES = (
    "openai", "anthropic", "groq", "google/genai", "botocore", "httpx", "httpx2", "httpcore", "httpcore2",
    "h11", "h2", "aiohttp", "yarl", "anyio", "urllib3", "requests",
)  # fmt: skip
"""Where an upstream call computes: a loop running in them runs the client's own per-call work."""


DB_DRIVER_PACKAGES = (
    "psycopg", "psycopg2", "psycopg_pool", "psycopg_c", "sqlalchemy", "pymongo", "pymysql", "MySQLdb",
    "mysql/connector", "oracledb", "pyodbc",
)  # fmt: skip
"""Sync database drivers (and SQLAlchemy above them): a loop parked in them waits for a query."""


def _below_app(site: BlockSite, packages: tuple[str, ...]) -> bool:
    """Below the app's innermost frame (`location`) the stack passes through one of `packages`."""
    stack = list(site.stack)
    below = stack[stack.index(site.location) + 1 :] if site.location in stack else stack[-1:]
    paths = [f.file.replace("\\", "/") for f in below]
    return any(f"/{name}/" in path for path in paths for name in packages)


def in_client(site: BlockSite) -> bool:
    """The loop ran inside a call the app made to an HTTP or LLM client: below the app's innermost frame
    (`location`) the stack passes through a client package (whatever it called in turn: pydantic,
    `typing`, an import)."""
    return _below_app(site, CLIENT_PACKAGES)


def in_db_driver(site: BlockSite) -> bool:
    """The loop waited inside a call the app made to a sync database driver."""
    return _below_app(site, DB_DRIVER_PACKAGES)


def busiest_phase(evidence: RouteEvidence) -> PhaseFigures:
    """The load phase (N users) when it ran, else the one-user phase."""
    return evidence.load or evidence.one_user


def sites(phase: PhaseFigures, state: BlockState) -> list[BlockSite]:
    return [s for s in phase.loop.sites if s.state == state]


def state_ms(phase: PhaseFigures, state: BlockState) -> float:
    return sum(s.total_ms for s in sites(phase, state))


def loop_waits_for_upstream(evidence: RouteEvidence) -> bool:
    """The loop is parked while the upstream works one call at a time although N users wait: the app
    calls the upstream with a blocking client on the loop thread.

    Numbers: the route calls the upstream (k > 0); at N ≥ 2 users the upstream never had two calls in
    flight; the loop was parked for at least a tenth of the phase.
    """
    load = evidence.load
    if load is None or load.users < 2 or evidence.one_user.calls_per_request < 0.5:
        return False
    parked_share = state_ms(load, "parked") / (load.wall_s * 1000.0) if load.wall_s > 0 else 0.0
    return load.upstream.peak_in_flight <= 1 and parked_share >= MIN_BLOCKED_SHARE


def stack_lines(site: BlockSite) -> tuple[str, ...]:
    """The site's example stack as text, library runs folded (outermost first)."""
    return tuple(line.strip() for line in render_stack(site.stack, indent=""))


_DOMINANT = 0.5  # the top site holds at least half the parked time: the place to fix is known


@dataclass(frozen=True)
class Parked:
    """A loop parked outside the upstream call, as `blocking_work` and `sync_db_driver` judge it: the
    busiest site (the app's lines first), the parked time per request and its shares of each phase."""

    top: BlockSite
    per_request_ms: float
    share_one_user: float
    share_load: float
    users: int
    dominant: bool


def _parked_share(phase: PhaseFigures) -> float:
    parked = sum(s.total_ms for s in sites(phase, "parked"))
    return parked / (phase.wall_s * 1000.0) if phase.wall_s > 0 else 0.0


def parked_loop(evidence: RouteEvidence) -> Parked | None:
    """The loop parked a tenth of both phases in at least two blocks, longer per request than it computed,
    while not waiting for the upstream (that is `sync_client`); None otherwise."""
    one = evidence.one_user
    parked = sites(one, "parked")
    if loop_waits_for_upstream(evidence) or sum(s.count for s in parked) < 2:
        return None
    share_one = _parked_share(one)
    if share_one < MIN_BLOCKED_SHARE:
        return None
    parked_ms = sum(s.total_ms for s in parked)
    per_request = parked_ms / one.started if one.started else 0.0
    load_share = _parked_share(evidence.load) if evidence.load is not None else share_one
    if load_share < MIN_BLOCKED_SHARE or per_request <= (one.loop_cpu_ms_per_request or 0.0):
        return None
    top = max(parked, key=lambda s: (s.location.user_code, s.total_ms))
    dominant = top.location.user_code and top.total_ms / parked_ms >= _DOMINANT
    users = (evidence.load or one).users
    return Parked(top, per_request, share_one, load_share, users, dominant)
