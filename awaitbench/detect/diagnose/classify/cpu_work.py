"""cpu_work: the loop is running CPU-bound Python, so one process serves at most 1 / c requests a second."""

from __future__ import annotations

from awaitbench.detect.diagnose.classify._loop import (
    MIN_BLOCKED_SHARE,
    busiest_phase,
    in_client,
    sites,
    stack_lines,
)
from awaitbench.detect.diagnose.cost import describe_frame, fmt, throughput_cost
from awaitbench.detect.diagnose.evidence import RouteEvidence
from awaitbench.detect.diagnose.findings import Finding

__all__ = ["MIN_LOOP_CPU_MS", "PITFALL", "classify"]

PITFALL = "cpu_work"
FIX = (
    "Move CPU-bound work to a process pool (loop.run_in_executor(pool, ...)) or make it cheaper; "
    "a thread does not help (one GIL)."
)
MIN_LOOP_CPU_MS = 10.0


def classify(evidence: RouteEvidence) -> Finding | None:
    phase = busiest_phase(evidence)
    cpu = phase.loop_cpu_ms_per_request
    calls = max(phase.calls_per_request, 1.0)
    running = [s for s in sites(phase, "running") if s.location.user_code and not in_client(s)]
    running_ms = sum(s.total_ms for s in running)
    share = running_ms / (phase.wall_s * 1000.0) if phase.wall_s > 0 else 0.0
    if cpu is None or cpu / calls < MIN_LOOP_CPU_MS or not running or share < MIN_BLOCKED_SHARE:
        return None
    top = running[0]
    ceiling = 1000.0 / cpu
    per_call = f" ({fmt(cpu / calls)} ms per upstream call)" if calls > 1 else ""
    return Finding(
        pitfall=PITFALL,
        severity="high" if share >= 0.3 else "medium",
        evidence=(
            f"the event loop's thread computes {fmt(cpu)} ms per request{per_call} and was running at "
            f"the app's code {share:.0%} of the {phase.users}-user phase: one process serves at most "
            f"{fmt(ceiling)} req/s"
        ),
        numbers={
            "users": phase.users,
            "loop_cpu_ms_per_request": cpu,
            "upstream_calls_per_request": round(phase.calls_per_request, 2),
            "running_share": round(share, 3),
            "ceiling_rps": round(ceiling, 1),
        },
        location=describe_frame(top.location),
        fix=FIX,
        cost=throughput_cost(evidence),
        stack=stack_lines(top),
    )
