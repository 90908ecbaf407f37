"""db_session_held: a pooled database connection stays checked out across the upstream call, so the pool,
not the upstream, caps how many requests make progress (the numbers: docs/diagnose.md)."""

from __future__ import annotations

from awaitbench.detect.diagnose.cost import fmt, fmt_ms
from awaitbench.detect.diagnose.evidence import DbPoolFigures, RouteEvidence
from awaitbench.detect.diagnose.findings import Finding

__all__ = ["PITFALL", "classify"]

PITFALL = "db_session_held"
FIX = (
    "Read, then end the session (its `async with` block, or commit) before the LLM call; call the LLM "
    "holding no connection; write in a new short session (`async with SessionLocal.begin() as db:`)."
)
_MIN_CALLS = 0.5
_HELD_ACROSS = 0.5  # at least half of the upstream time is spent holding a connection


def _pool_cost(pool: DbPoolFigures | None, held_ms: float) -> str:
    if pool is None or not pool.capacity or held_ms <= 0:
        return (
            f"each request holds a pooled connection {fmt_ms(held_ms)}: a pool of P serves at most P / that"
        )
    bound = pool.capacity * 1000.0 / held_ms
    return (
        f"each request holds a pooled connection {fmt_ms(held_ms)}: the pool's {pool.capacity} connections "
        f"serve at most {fmt(bound)} req/s whatever the upstream allows; beyond it requests wait for the "
        "pool and time out"
    )


def classify(evidence: RouteEvidence) -> Finding | None:
    one = evidence.one_user
    pool, k, r1 = one.db_pool, one.calls_per_request, one.latency_p50_ms
    if pool is None or r1 is None or k < _MIN_CALLS or not one.started:
        return None
    held = pool.held_ms / one.started
    upstream = k * evidence.upstream_latency_ms
    overlap = held + upstream - r1  # the least time both a connection and the upstream call were busy
    if overlap < _HELD_ACROSS * upstream:
        return None
    load = evidence.load.db_pool if evidence.load is not None else None
    exhausted = load is not None and load.capacity is not None and load.peak_checked_out >= load.capacity
    text = (
        f"with one user each request held a pooled database connection {fmt_ms(held)} of its "
        f"R₁ = {fmt_ms(r1)}, while its {fmt(k)} upstream call(s) took about {fmt_ms(upstream)}: the "
        f"connection was held across the upstream call (at least {fmt_ms(overlap)} of it)"
    )
    if load is not None:
        capacity = f" of {load.capacity}" if load.capacity else ""
        text += f"; at {evidence.load.users if evidence.load else 0} users {load.peak_checked_out}{capacity} "
        text += "connections were lent at once"
    return Finding(
        pitfall=PITFALL,
        severity="high" if exhausted or load is None else "medium",
        evidence=text,
        numbers={
            "held_ms_per_request": round(held, 1),
            "r1_ms": r1,
            "upstream_ms_per_request": round(upstream, 1),
            "held_across_upstream_ms": round(overlap, 1),
            "peak_checked_out": load.peak_checked_out if load is not None else pool.peak_checked_out,
        },
        fix=FIX,
        cost=_pool_cost(load or pool, held),
    )
