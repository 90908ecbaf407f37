"""sync_db_driver: the loop is parked inside a sync database driver (psycopg, psycopg2, sync SQLAlchemy,
pymongo) the app calls from `async def`: `blocking_work`'s numbers, named by the driver below the app's
line (docs/diagnose.md)."""

from __future__ import annotations

from awaitbench.detect.diagnose.classify._loop import in_db_driver, parked_loop, stack_lines
from awaitbench.detect.diagnose.cost import describe_frame, fmt_ms, throughput_cost
from awaitbench.detect.diagnose.evidence import RouteEvidence
from awaitbench.detect.diagnose.findings import Finding

__all__ = ["PITFALL", "classify"]

PITFALL = "sync_db_driver"
FIX = (
    "Use an asyncio driver and await the query (asyncpg, psycopg's AsyncConnection/AsyncConnectionPool, "
    "SQLAlchemy's AsyncSession), or make the route a plain `def` so it runs in the thread pool."
)


def classify(evidence: RouteEvidence) -> Finding | None:
    parked = parked_loop(evidence)
    if parked is None or not parked.dominant or not in_db_driver(parked.top):
        return None
    return Finding(
        pitfall=PITFALL,
        severity="high" if parked.share_load >= 0.3 else "medium",
        evidence=(
            f"the event loop was parked in a sync database driver {fmt_ms(parked.per_request_ms)} per "
            f"request with one user ({parked.share_one_user:.0%} of the time) and "
            f"{parked.share_load:.0%} of the time at {parked.users} users: every query stops every request"
        ),
        numbers={
            "parked_ms_per_request": round(parked.per_request_ms, 1),
            "parked_share_one_user": round(parked.share_one_user, 3),
            "parked_share_load": round(parked.share_load, 3),
        },
        location=describe_frame(parked.top.location),
        fix=FIX,
        cost=throughput_cost(evidence),
        stack=stack_lines(parked.top),
    )
