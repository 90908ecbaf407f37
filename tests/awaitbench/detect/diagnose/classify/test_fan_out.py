"""fan_out: >= 5 calls at once per request, and the total grows with the users."""

from __future__ import annotations

from awaitbench.detect.diagnose.classify import fan_out
from awaitbench.detect.diagnose.evidence import RouteEvidence
from tests.awaitbench.detect.diagnose.evidence_builders import evidence, phase, upstream


def _fan(width: int, peak: int) -> RouteEvidence:
    return evidence(
        one_user=phase("one_user", upstream=upstream(calls=5 * width, peak_in_flight=width)),
        load=phase(upstream=upstream(calls=760 * width, peak_in_flight=peak)),
    )


def test_one_call_per_request_is_not_found() -> None:
    assert fan_out.classify(evidence()) is None


def test_unbounded_fan_out_is_found() -> None:
    finding = fan_out.classify(_fan(10, 200))
    assert finding is not None
    assert finding.severity == "high"
    assert finding.numbers == {"calls_at_once_one_user": 10, "users": 20, "upstream_peak_in_flight": 200}


def test_a_process_wide_bound_is_not_found() -> None:
    assert fan_out.classify(_fan(10, 10)) is None
    assert fan_out.classify(_fan(10, 19)) is None
    assert fan_out.classify(_fan(10, 20)) is not None


def test_a_gather_of_a_few_calls_is_not_a_fan_out() -> None:
    assert fan_out.classify(_fan(4, 80)) is None
    assert fan_out.classify(_fan(5, 80)) is not None


def test_medium_below_a_hundred_in_flight() -> None:
    finding = fan_out.classify(_fan(5, 99))
    assert finding is not None and finding.severity == "medium"
