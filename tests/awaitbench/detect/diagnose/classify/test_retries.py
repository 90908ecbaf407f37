"""retries: attempts sooner than half the Retry-After, or at least twice the SDK's own attempts."""

from __future__ import annotations

from dataclasses import replace

from awaitbench.detect.diagnose.classify import retries
from awaitbench.detect.diagnose.evidence import RetryProbe, RouteEvidence
from tests.awaitbench.detect.diagnose.evidence_builders import evidence


def _probe(attempts: int, latency_ms: float, at_once: int = 1) -> RouteEvidence:
    probe = RetryProbe(
        answered=True,
        status=502,
        latency_ms=latency_ms,
        upstream_attempts=attempts,
        retry_after_ms=500.0,
        calls_at_once=at_once,
    )
    return evidence(retry=probe)


def test_the_sdks_own_retries_are_not_found() -> None:
    assert retries.classify(evidence()) is None  # 3 attempts, 505 ms apart


def test_immediate_retries_are_found() -> None:
    finding = retries.classify(_probe(5, 12.0))
    assert finding is not None
    assert finding.severity == "high"
    assert finding.numbers == {"attempts_per_call": 5.0, "retry_after_ms": 500.0, "spacing_ms": 3.0}


def test_half_the_retry_after_is_the_threshold() -> None:
    assert retries.classify(_probe(3, 499.0)) is not None  # 249.5 ms apart
    assert retries.classify(_probe(3, 500.0)) is None


def test_waiting_retries_in_the_app_are_fine_below_twice_the_sdks_attempts() -> None:
    assert retries.classify(_probe(5, 4100.0)) is None


def test_stacked_retries_are_found() -> None:
    finding = retries.classify(_probe(9, 4100.0))
    assert finding is not None
    assert finding.severity == "medium"
    assert "stacked" in finding.evidence


def test_attempts_are_counted_per_call() -> None:
    assert retries.classify(_probe(30, 1050.0, at_once=10)) is None


def test_no_retry_at_all_is_not_a_finding() -> None:
    assert retries.classify(_probe(1, 3.0)) is None


def test_attempts_of_a_probe_that_did_not_settle_are_not_judged() -> None:
    probe = RetryProbe(
        answered=False,
        status=None,
        latency_ms=60000.0,
        upstream_attempts=162,
        retry_after_ms=500.0,
        settled=False,
    )
    assert retries.classify(evidence(retry=probe)) is None
    assert retries.classify(evidence(retry=replace(probe, settled=True))) is not None
