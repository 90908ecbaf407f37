"""blocking_work: the loop is parked in blocking work that is not the upstream call (sleep, file, a sync
driver or parser)."""

from __future__ import annotations

from awaitbench.detect.diagnose.classify._loop import parked_loop, stack_lines
from awaitbench.detect.diagnose.cost import describe_frame, fmt_ms, throughput_cost
from awaitbench.detect.diagnose.evidence import RouteEvidence
from awaitbench.detect.diagnose.findings import Finding

__all__ = ["PITFALL", "classify"]

PITFALL = "blocking_work"
FIX = "Run the blocking call in a thread (await asyncio.to_thread(...)) or use an async library for it."


def classify(evidence: RouteEvidence) -> Finding | None:
    parked = parked_loop(evidence)
    if parked is None:
        return None
    text = (
        f"the event loop was parked {fmt_ms(parked.per_request_ms)} per request with one user "
        f"({parked.share_one_user:.0%} of the time) and {parked.share_load:.0%} of the time at "
        f"{parked.users} users, neither computing nor waiting for the upstream"
    )
    if not parked.dominant:
        text += (
            "; no line of the app's code holds most of it: the loop may be waiting for the GIL another "
            "thread holds"
        )
    return Finding(
        pitfall=PITFALL,
        severity=("high" if parked.share_load >= 0.3 else "medium") if parked.dominant else "low",
        evidence=text,
        numbers={
            "parked_ms_per_request": round(parked.per_request_ms, 1),
            "parked_share_one_user": round(parked.share_one_user, 3),
            "parked_share_load": round(parked.share_load, 3),
        },
        location=describe_frame(parked.top.location),
        fix=FIX,
        cost=throughput_cost(evidence),
        ambiguous=not parked.dominant,
        stack=stack_lines(parked.top),
    )
