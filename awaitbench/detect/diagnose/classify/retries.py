"""retries: retries that ignore the upstream's Retry-After, or that stack on the SDK's own."""

from __future__ import annotations

from awaitbench.detect.diagnose.cost import fmt, fmt_ms
from awaitbench.detect.diagnose.evidence import SDK_ATTEMPTS, RouteEvidence
from awaitbench.detect.diagnose.findings import Finding

__all__ = ["PITFALL", "classify"]

PITFALL = "retries"
FIX = (
    "Retry only 429/5xx/transport errors, wait what Retry-After asks (else exponential backoff with "
    "jitter), and retry in one layer only."
)
_HONOUR = 0.5


def classify(evidence: RouteEvidence) -> Finding | None:
    probe = evidence.retry
    if probe is None or not probe.settled or probe.upstream_attempts == 0:
        return None
    attempts, spacing, asked = probe.attempts_per_call, probe.spacing_ms, probe.retry_after_ms
    numbers = {"attempts_per_call": round(attempts, 2), "retry_after_ms": asked}
    if spacing is not None:
        numbers["spacing_ms"] = round(spacing, 1)
    if spacing is not None and spacing < _HONOUR * asked:
        return Finding(
            pitfall=PITFALL,
            severity="high",
            evidence=(
                f"when every upstream call is answered 429 with Retry-After {fmt_ms(asked)}, each call is "
                f"attempted {fmt(attempts)} times, {fmt_ms(spacing)} apart: the retries ignore Retry-After"
            ),
            numbers=numbers,
            fix=FIX,
            cost=(
                f"x{fmt(attempts)} upstream requests per call exactly when the upstream sheds load "
                f"({probe.upstream_attempts} requests in {fmt_ms(probe.latency_ms)} for one user request)"
            ),
        )
    if attempts >= 2 * SDK_ATTEMPTS:
        return Finding(
            pitfall=PITFALL,
            severity="medium",
            evidence=(
                f"when every upstream call is answered 429, each call is attempted {fmt(attempts)} times: "
                "at least "
                f"twice the SDK's own {SDK_ATTEMPTS}, so retries are stacked (an app loop around SDK retries)"
            ),
            numbers=numbers,
            fix=FIX,
            cost=(
                f"x{fmt(attempts)} upstream requests per failing call, and {fmt_ms(probe.latency_ms)} "
                "before the user hears of it"
            ),
        )
    return None
