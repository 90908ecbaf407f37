"""per_request_client: a new client (and connection) per upstream call, often never closed."""

from __future__ import annotations

from awaitbench.detect.diagnose.classify._loop import stack_lines
from awaitbench.detect.diagnose.cost import describe_frame, fmt, throughput_cost
from awaitbench.detect.diagnose.evidence import RouteEvidence
from awaitbench.detect.diagnose.findings import Finding

__all__ = ["PITFALL", "classify"]

PITFALL = "per_request_client"
FIX = "Create the client once (in the app's lifespan), share it across requests and close it at shutdown."
_MIN_NEW_PER_CALL = 0.5


def classify(evidence: RouteEvidence) -> Finding | None:
    one = evidence.one_user
    if one.upstream.calls < 2 or one.new_connections_per_call < _MIN_NEW_PER_CALL:
        return None
    phases = [p for p in (evidence.one_user, evidence.load) if p is not None]
    unclosed = sum(p.loop.unclosed for p in phases)
    started = sum(p.started for p in phases)
    text = (
        f"{one.new_connections_per_call:.2f} new upstream connections per call in the one-user phase "
        f"({one.upstream.new_connections} for {one.upstream.calls} calls; a shared keep-alive client "
        "opens ~0)"
    )
    if unclosed:
        text += f"; {unclosed} unclosed-resource warnings in {started} requests"
    cpu = (evidence.load or one).loop_cpu_ms_per_request
    if cpu is not None:
        text += f"; the loop thread spends {fmt(cpu)} ms of CPU per request"
    numbers: dict[str, float] = {
        "new_connections_per_call": round(one.new_connections_per_call, 3),
        "unclosed_warnings": unclosed,
    }
    if cpu is not None:
        numbers["loop_cpu_ms_per_request"] = cpu
    example = next((p.loop.unclosed_example for p in phases if p.loop.unclosed_example), "")
    site = next((s for p in reversed(phases) for s in p.loop.sites if s.location.user_code), None)
    location = (
        describe_frame(site.location) if site is not None else (f"unclosed: {example}" if example else None)
    )
    return Finding(
        pitfall=PITFALL,
        severity="high",
        evidence=text,
        numbers=numbers,
        location=location,
        stack=stack_lines(site) if site is not None else (),
        fix=FIX,
        cost=throughput_cost(evidence),
    )
