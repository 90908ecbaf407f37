"""fan_out: each request starts many upstream calls at once, and nothing bounds the process's total."""

from __future__ import annotations

from awaitbench.detect.diagnose.cost import fmt
from awaitbench.detect.diagnose.evidence import RouteEvidence
from awaitbench.detect.diagnose.findings import Finding

__all__ = ["MIN_WIDTH", "PITFALL", "classify"]

PITFALL = "fan_out"
FIX = (
    "Bound the calls in flight with one asyncio.Semaphore shared by all requests, below the provider's limit."
)
MIN_WIDTH = 5
_GROWTH = 2.0


def classify(evidence: RouteEvidence) -> Finding | None:
    width, load = evidence.one_user.upstream.peak_in_flight, evidence.load
    if load is None or width < MIN_WIDTH or load.upstream.peak_in_flight < _GROWTH * width:
        return None
    peak = load.upstream.peak_in_flight
    return Finding(
        pitfall=PITFALL,
        severity="high" if peak >= 100 else "medium",
        evidence=(
            f"one request runs {width} upstream calls at once; at {load.users} users the upstream had "
            f"{peak} in "
            f"flight ({fmt(peak / load.users)} per user): nothing bounds the total"
        ),
        numbers={"calls_at_once_one_user": width, "users": load.users, "upstream_peak_in_flight": peak},
        fix=FIX,
        cost=(
            f"{peak} upstream calls in flight at {load.users} users; a provider limit of K concurrent calls "
            f"rejects {peak} − K of them (429), and a request fails if any of its {width} calls runs out "
            "of retries"
        ),
    )
