"""sync_client: the loop is parked inside a blocking LLM/HTTP client, one upstream call at a time."""

from __future__ import annotations

from awaitbench.detect.diagnose.classify._loop import loop_waits_for_upstream, sites, stack_lines
from awaitbench.detect.diagnose.cost import describe_frame, fmt, fmt_ms, throughput_cost
from awaitbench.detect.diagnose.evidence import RouteEvidence
from awaitbench.detect.diagnose.findings import Finding

__all__ = ["PITFALL", "classify"]

PITFALL = "sync_client"
FIX = (
    "Use the SDK's async client (AsyncOpenAI, AsyncAnthropic, genai.Client().aio, httpx.AsyncClient), "
    "created once at startup, and await the call."
)


def classify(evidence: RouteEvidence) -> Finding | None:
    if not loop_waits_for_upstream(evidence):
        return None
    load = evidence.load
    assert load is not None
    parked = sites(load, "parked")
    top = parked[0] if parked else None
    parked_ms = sum(s.total_ms for s in parked)
    share = parked_ms / (load.wall_s * 1000.0)
    per_call = parked_ms / load.upstream.calls if load.upstream.calls else 0.0
    return Finding(
        pitfall=PITFALL,
        severity="high",
        evidence=(
            f"at {load.users} users the upstream never had more than {load.upstream.peak_in_flight} call in "
            f"flight, and the event loop was parked {share:.0%} of the time ({fmt_ms(per_call)} per upstream "
            f"call of {fmt(evidence.upstream_latency_ms)} ms): a blocking client runs on the loop thread"
        ),
        numbers={
            "users": load.users,
            "upstream_peak_in_flight": load.upstream.peak_in_flight,
            "parked_share": round(share, 3),
            "parked_ms_per_call": round(per_call, 1),
        },
        location=describe_frame(top.location) if top else None,
        fix=FIX,
        cost=throughput_cost(evidence),
        stack=stack_lines(top) if top else (),
    )
