"""timeouts: a hung upstream call holds the route (and its user) far longer than anyone waits."""

from __future__ import annotations

import math

from awaitbench.detect.diagnose.cost import describe_frame, fmt
from awaitbench.detect.diagnose.evidence import RouteEvidence
from awaitbench.detect.diagnose.findings import Finding

__all__ = ["PITFALL", "classify", "deadline_note"]

PITFALL = "timeouts"
FIX = (
    "Put a deadline on the upstream call (asyncio.timeout(...) around it, or the client's timeout=) "
    "and answer 504 when it expires."
)


def classify(evidence: RouteEvidence) -> Finding | None:
    hang = evidence.hang
    if hang is None or hang.answered or hang.upstream_calls == 0:
        return None
    deadline = hang.deadline_s
    if deadline is not None and deadline <= hang.max_deadline_s:
        return None
    held = "when every upstream call hangs, the route gives no answer"
    if deadline is None:
        return Finding(
            pitfall=PITFALL,
            severity="medium",
            evidence=(
                f"{held} within the {fmt(hang.waited_s)} s probe, and no deadline was visible (no timer "
                "armed by the request, no socket timeout)"
            ),
            location=describe_frame(hang.awaiting_at) if hang.awaiting_at else None,
            numbers={"waited_s": hang.waited_s},
            fix=FIX,
            cost=f"a user waits at least {fmt(hang.waited_s)} s, possibly until the upstream answers",
            ambiguous=True,
        )
    never = math.isinf(deadline)
    if never:
        cut = "its blocking client's socket has no timeout: nothing would ever cut the call"
    elif hang.deadlines_s:
        cut = f"the earliest deadline the request armed fires {fmt(deadline)} s after it started"
    else:
        cut = f"its blocking client's socket times out after {fmt(deadline)} s"
    return Finding(
        pitfall=PITFALL,
        severity="high",
        evidence=(
            f"{held}; {cut} ({_sdk_default(deadline)}more than --max-deadline-s {fmt(hang.max_deadline_s)} s)"
        ),
        numbers={"waited_s": hang.waited_s, "deadline_s": -1.0 if never else round(deadline, 1)},
        location=describe_frame(hang.awaiting_at) if hang.awaiting_at else None,
        fix=FIX,
        cost=(
            "a hung call holds its user for good"
            if never
            else f"a hung call holds its user for {fmt(deadline)} s"
        )
        + "; under load, users pile up on hung calls until the route stops answering",
    )


def deadline_note(evidence: RouteEvidence) -> str | None:
    """What the hang probe showed when it is not a finding (for the route's notes)."""
    hang = evidence.hang
    if hang is None:
        return None
    if hang.answered:
        return (
            f"when the upstream hangs, the route answers {hang.status} after {fmt(hang.latency_ms / 1000)} s"
        )
    deadline = hang.deadline_s
    if deadline is not None and not math.isinf(deadline):
        return f"when the upstream hangs, the route's deadline cuts the hung call after {fmt(deadline)} s"
    return None


def _sdk_default(deadline_s: float) -> str:
    """Name the OpenAI and Anthropic SDKs' 600 s default when that is the deadline found."""
    return "the OpenAI SDK's default is 600 s; " if abs(deadline_s - 600.0) < 1.0 else ""
