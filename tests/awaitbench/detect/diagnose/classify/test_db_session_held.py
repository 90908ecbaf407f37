"""db_session_held: a connection held for most of R₁ while the upstream call takes most of it too must be
held across the call; one held for the queries only is not."""

from __future__ import annotations

from awaitbench.detect.diagnose.classify import db_session_held
from awaitbench.detect.diagnose.evidence import DbPoolFigures, RouteEvidence
from awaitbench.detect.diagnose.judge import judge
from tests.awaitbench.detect.diagnose.catalogue_fixtures import recorded
from tests.awaitbench.detect.diagnose.evidence_builders import evidence, phase, upstream


def _pooled(held_ms_per_request: float, *, r1_ms: float = 150.0, peak: int = 10) -> RouteEvidence:
    """Five one-user requests of R₁ `r1_ms`, one 100 ms upstream call each; a pool of 10."""
    one = phase(
        "one_user",
        latency_p50_ms=r1_ms,
        db_pool=DbPoolFigures(checkouts=5, held_ms=5 * held_ms_per_request, peak_checked_out=1, capacity=10),
    )
    load = phase(db_pool=DbPoolFigures(checkouts=80, held_ms=80 * 150.0, peak_checked_out=peak, capacity=10))
    return evidence(one_user=one, load=load)


def test_a_connection_held_for_the_whole_request_is_held_across_the_call() -> None:
    finding = db_session_held.classify(_pooled(145.0))
    assert finding is not None
    assert finding.severity == "high"  # the load phase lent every connection
    assert finding.numbers["held_across_upstream_ms"] == 95.0
    assert "the pool's 10 connections serve at most 69 req/s" in finding.cost


def test_a_connection_held_for_the_queries_only_is_clean() -> None:
    assert db_session_held.classify(_pooled(45.0)) is None  # 45 + 100 - 150 < 0: no overlap needed


def test_half_the_upstream_time_is_the_threshold() -> None:
    assert db_session_held.classify(_pooled(99.0)) is None  # overlap 49 ms of 100
    assert db_session_held.classify(_pooled(101.0)) is not None


def test_medium_while_the_pool_still_had_connections_to_lend() -> None:
    finding = db_session_held.classify(_pooled(145.0, peak=6))
    assert finding is not None and finding.severity == "medium"


def test_no_pool_or_no_upstream_call_is_no_finding() -> None:
    assert db_session_held.classify(evidence()) is None
    pooled = _pooled(145.0)
    no_call = phase(
        "one_user", latency_p50_ms=150.0, upstream=upstream(calls=0), db_pool=pooled.one_user.db_pool
    )
    assert db_session_held.classify(evidence(one_user=no_call, load=pooled.load)) is None


def test_the_recorded_catalogue_variants() -> None:
    assert [f.pitfall for f in judge(recorded("db_session_held__session_held"))] == ["db_session_held"]
    assert judge(recorded("db_session_held__short_sessions")) == ()
