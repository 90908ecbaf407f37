"""serial_awaits: k > 1 calls, never two in flight, R₁ about k·L; always ambiguous."""

from __future__ import annotations

from awaitbench.detect.diagnose.classify import serial_awaits
from awaitbench.detect.diagnose.evidence import RouteEvidence
from tests.awaitbench.detect.diagnose.evidence_builders import evidence, phase, upstream


def _calls(k: int, peak: int, r1_ms: float) -> RouteEvidence:
    return evidence(
        one_user=phase("one_user", latency_p50_ms=r1_ms, upstream=upstream(calls=5 * k, peak_in_flight=peak))
    )


def test_one_call_per_request_is_not_found() -> None:
    assert serial_awaits.classify(evidence()) is None


def test_three_calls_in_a_row_are_found_ambiguous_and_medium() -> None:
    finding = serial_awaits.classify(_calls(3, 1, 312.0))
    assert finding is not None
    assert (finding.severity, finding.ambiguous) == ("medium", True)
    assert finding.numbers["calls_per_request"] == 3.0
    assert finding.cost == "R₁ = 312 ms for 3 calls in a row; run together, about 112 ms (x2.8 faster)"
    assert "cannot tell independent calls from dependent ones" in finding.evidence


def test_calls_that_overlap_are_not_serial() -> None:
    assert serial_awaits.classify(_calls(3, 3, 110.0)) is None


def test_latency_well_under_k_times_l_is_not_serial() -> None:
    assert serial_awaits.classify(_calls(3, 1, 239.0)) is None  # < 0.8 × 300
    assert serial_awaits.classify(_calls(3, 1, 241.0)) is not None
