"""blocking_work: the loop is parked in blocking work that is not the upstream call (sleep, file, a sync
driver or parser)."""

from __future__ import annotations

from awaitbench.detect.diagnose.classify._loop import (
    MIN_BLOCKED_SHARE,
    loop_waits_for_upstream,
    sites,
    stack_lines,
)
from awaitbench.detect.diagnose.cost import describe_frame, fmt_ms, throughput_cost
from awaitbench.detect.diagnose.evidence import PhaseFigures, RouteEvidence
from awaitbench.detect.diagnose.findings import Finding

__all__ = ["PITFALL", "classify"]

PITFALL = "blocking_work"
FIX = "Run the blocking call in a thread (await asyncio.to_thread(...)) or use an async library for it."
_DOMINANT = 0.5  # the top site holds at least half the parked time: the place to fix is known


def _parked_share(phase: PhaseFigures) -> float:
    parked = sum(s.total_ms for s in sites(phase, "parked"))
    return parked / (phase.wall_s * 1000.0) if phase.wall_s > 0 else 0.0


def classify(evidence: RouteEvidence) -> Finding | None:
    one = evidence.one_user
    parked = sites(one, "parked")
    if (
        loop_waits_for_upstream(evidence)
        or sum(s.count for s in parked) < 2
        or _parked_share(one) < MIN_BLOCKED_SHARE
    ):
        return None
    parked_ms = sum(s.total_ms for s in parked)
    per_request = parked_ms / one.started if one.started else 0.0
    load_share = _parked_share(evidence.load) if evidence.load is not None else _parked_share(one)
    if load_share < MIN_BLOCKED_SHARE or per_request <= (one.loop_cpu_ms_per_request or 0.0):
        return None
    top = max(parked, key=lambda s: (s.location.user_code, s.total_ms))
    dominant = top.location.user_code and top.total_ms / parked_ms >= _DOMINANT
    text = (
        f"the event loop was parked {fmt_ms(per_request)} per request with one user "
        f"({_parked_share(one):.0%} "
        f"of the time) and {load_share:.0%} of the time at {(evidence.load or one).users} users, neither "
        "computing nor waiting for the upstream"
    )
    if not dominant:
        text += (
            "; no line of the app's code holds most of it: the loop may be waiting for the GIL another "
            "thread holds"
        )
    return Finding(
        pitfall=PITFALL,
        severity=("high" if load_share >= 0.3 else "medium") if dominant else "low",
        evidence=text,
        numbers={
            "parked_ms_per_request": round(per_request, 1),
            "parked_share_one_user": round(_parked_share(one), 3),
            "parked_share_load": round(load_share, 3),
        },
        location=describe_frame(top.location),
        fix=FIX,
        cost=throughput_cost(evidence),
        ambiguous=not dominant,
        stack=stack_lines(top),
    )
