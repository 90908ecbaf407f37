"""serial_awaits: k > 1 upstream calls per request, awaited one after another (R₁ ≈ k·L)."""

from __future__ import annotations

from awaitbench.detect.diagnose.cost import fmt, fmt_ms, ratio_text
from awaitbench.detect.diagnose.evidence import RouteEvidence
from awaitbench.detect.diagnose.findings import Finding

__all__ = ["PITFALL", "classify"]

PITFALL = "serial_awaits"
FIX = "Start independent calls together (asyncio.gather or an asyncio.TaskGroup) and await them at once."
_MIN_CALLS = 1.5
_SERIAL_SHARE = 0.8


def classify(evidence: RouteEvidence) -> Finding | None:
    one = evidence.one_user
    k, r1, latency = one.calls_per_request, one.latency_p50_ms, evidence.upstream_latency_ms
    if k < _MIN_CALLS or one.upstream.peak_in_flight != 1 or r1 is None or r1 < _SERIAL_SHARE * k * latency:
        return None
    together = max(r1 - (k - 1) * latency, latency)
    return Finding(
        pitfall=PITFALL,
        severity="medium",
        evidence=(
            f"{fmt(k)} upstream calls per request, never two in flight, and R₁ = {fmt_ms(r1)} ≈ {fmt(k)} × "
            f"{fmt(latency)} ms: the calls run one after another. If each needs the previous answer this is "
            "unavoidable: the numbers cannot tell independent calls from dependent ones"
        ),
        numbers={
            "calls_per_request": round(k, 2),
            "upstream_peak_in_flight": 1,
            "r1_ms": r1,
            "upstream_latency_ms": latency,
        },
        fix=FIX,
        cost=(
            f"R₁ = {fmt_ms(r1)} for {fmt(k)} calls in a row; run together, about {fmt_ms(together)} "
            f"({ratio_text(r1 / together)} faster)"
        ),
        ambiguous=True,
    )
