"""threadpool: sync routes share anyio's 40 thread tokens; request 41 waits while the loop looks idle.

Bad (found): `def ask(...)` calling the sync OpenAI client: every request holds a token for its whole
upstream call; past 40 concurrent requests the rest wait for a token, and throughput plateaus at 40 / L.

Good (not found): the same route after raising the limiter at startup
(`anyio.to_thread.current_default_thread_limiter().total_tokens = 200`), or an `async def` route with
an async client: no token is held.

Evidence (numbers only): in a load phase every token of the limiter was borrowed with requests waiting
for one. The diagnosis runs a phase with 1.25 × the tokens as users when the N-user phase showed the
route holding about one token per user; found only there (beyond N), it is graded medium.
"""

from __future__ import annotations

from awaitbench.detect.diagnose.cost import fmt, fmt_ms, throughput_cost
from awaitbench.detect.diagnose.evidence import PhaseFigures, RouteEvidence
from awaitbench.detect.diagnose.findings import Finding

__all__ = ["PITFALL", "classify"]

PITFALL = "threadpool"
FIX = (
    "Make the route async with an async client, or size the limiter at startup "
    "(current_default_thread_limiter().total_tokens = ...)."
)


def _saturated(phase: PhaseFigures | None) -> bool:
    if phase is None:
        return False
    loop = phase.loop
    return (
        loop.threadpool_total is not None
        and loop.threadpool_peak >= loop.threadpool_total
        and loop.threadpool_waiting_peak > 0
    )


def classify(evidence: RouteEvidence) -> Finding | None:
    phase = evidence.load if _saturated(evidence.load) else evidence.threadpool
    if phase is None or not _saturated(phase):
        return None
    loop, r1 = phase.loop, evidence.one_user.latency_p50_ms
    total = loop.threadpool_total or 0
    plateau = f"; a plateau at {total} / R₁ = {fmt(total * 1000.0 / r1)} req/s per process" if r1 else ""
    return Finding(
        pitfall=PITFALL,
        severity="high" if phase.name == "load" else "medium",
        evidence=(
            f"at {phase.users} users all {total} threadpool tokens were borrowed for "
            f"{fmt_ms(loop.threadpool_saturated_ms)}"
            f" with up to {loop.threadpool_waiting_peak} requests waiting for one{plateau}"
        ),
        numbers={
            "users": phase.users,
            "threadpool_tokens": total,
            "threadpool_waiting_peak": loop.threadpool_waiting_peak,
            "threadpool_saturated_ms": loop.threadpool_saturated_ms,
        },
        fix=FIX,
        cost=throughput_cost(evidence, phase),
    )
