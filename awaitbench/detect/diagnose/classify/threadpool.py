"""threadpool: sync routes share anyio's 40 thread tokens; request 41 waits while the loop looks idle."""

from __future__ import annotations

from awaitbench.detect.diagnose.cost import fmt, fmt_ms
from awaitbench.detect.diagnose.evidence import PhaseFigures, RouteEvidence
from awaitbench.detect.diagnose.findings import Finding

__all__ = ["MIN_WAITING_SHARE", "PITFALL", "classify", "token_hold_ms"]

PITFALL = "threadpool"
FIX = (
    "Make the route async with an async client, or size the limiter at startup "
    "(current_default_thread_limiter().total_tokens = ...)."
)
MIN_WAITING_SHARE = 0.10
"""Requests waiting for a token less than a tenth of their time are not bound by the pool."""
_HOLD_SLACK = 2.0  # a token held up to 2 × a lone request's time: the holder is not queued for a CPU
_CPU_BOUND_SHARE = 0.8  # a route at 80% of one core's throughput is bound by the CPU


def _saturated(phase: PhaseFigures | None) -> bool:
    if phase is None:
        return False
    loop = phase.loop
    return (
        loop.threadpool_total is not None
        and loop.threadpool_peak >= loop.threadpool_total
        and loop.threadpool_waiting_peak > 0
    )


def waiting_share(phase: PhaseFigures) -> float:
    """The share of the requests' time spent waiting for a token (every closed-loop user always has a
    request in flight, so their time is users × the phase's length)."""
    total_ms = phase.users * phase.wall_s * 1000.0
    return phase.loop.threadpool_waiting_ms / total_ms if total_ms > 0 else 0.0


def token_hold_ms(phase: PhaseFigures) -> float | None:
    """How long a request held its token (Little's law on the pool: borrowed tokens over requests)."""
    if phase.started <= 0 or phase.loop.threadpool_borrowed_ms <= 0:
        return None
    return phase.loop.threadpool_borrowed_ms / phase.started


def lone_request_ms(evidence: RouteEvidence, phase: PhaseFigures) -> float | None:
    """What a request takes alone in `phase`: R₁, plus its calls' extra latency when it was lengthened."""
    r1 = evidence.one_user.latency_p50_ms
    if r1 is None:
        return None
    extra = (phase.upstream_latency_ms or evidence.upstream_latency_ms) - evidence.upstream_latency_ms
    return r1 + evidence.one_user.calls_per_request * max(extra, 0.0)


def _thread_bound(evidence: RouteEvidence, phase: PhaseFigures) -> bool:
    hold, alone, ceiling = token_hold_ms(phase), lone_request_ms(evidence, phase), phase.cpu_bound_rps
    return (
        waiting_share(phase) >= MIN_WAITING_SHARE
        and hold is not None
        and alone is not None
        and hold <= _HOLD_SLACK * alone
        and (ceiling is None or phase.throughput_rps < _CPU_BOUND_SHARE * ceiling)
    )


def classify(evidence: RouteEvidence) -> Finding | None:
    phases = [p for p in (evidence.load, evidence.threadpool) if _saturated(p)]
    phase = next((p for p in phases if p is not None and _thread_bound(evidence, p)), None)
    if phase is None:
        return None
    loop, total = phase.loop, phase.loop.threadpool_total or 0
    hold = token_hold_ms(phase) or 0.0
    wait = waiting_share(phase)
    lengthened = (
        f" (upstream calls of {fmt(phase.upstream_latency_ms)} ms)" if phase.upstream_latency_ms else ""
    )
    plateau = total * 1000.0 / hold if hold else 0.0
    return Finding(
        pitfall=PITFALL,
        severity="high" if phase.name == "load" else "medium",
        evidence=(
            f"at {phase.users} users{lengthened} all {total} threadpool tokens were borrowed for "
            f"{fmt_ms(loop.threadpool_saturated_ms)} and requests spent {wait:.0%} of their time waiting for "
            f"one (up to {loop.threadpool_waiting_peak} at once); each held its token {fmt_ms(hold)}, about "
            "what a request takes alone, so threads, not the CPU, set the pace"
        ),
        numbers={
            "users": phase.users,
            "threadpool_tokens": total,
            "threadpool_waiting_peak": loop.threadpool_waiting_peak,
            "threadpool_saturated_ms": loop.threadpool_saturated_ms,
            "waiting_share": round(wait, 3),
            "token_hold_ms": round(hold, 1),
            "throughput_rps": phase.throughput_rps,
        },
        fix=FIX,
        cost=(
            f"reaches {fmt(phase.throughput_rps)} req/s at {phase.users} users: a plateau at {total} "
            f"tokens / {fmt_ms(hold)} = {fmt(plateau)} req/s per process, whatever the load"
        ),
    )
