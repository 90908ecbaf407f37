"""threadpool: every token borrowed with requests waiting, in the load or the threadpool phase."""

from __future__ import annotations

from awaitbench.detect.diagnose.classify import threadpool
from awaitbench.detect.diagnose.evidence import PhaseName, RouteEvidence
from tests.awaitbench.detect.diagnose.evidence_builders import evidence, loop, phase


def _pool(peak: int, waiting: int, name: PhaseName = "threadpool", users: int = 50) -> RouteEvidence:
    full = phase(
        name,
        users=users,
        throughput_rps=300.0,
        loop=loop(threadpool_peak=peak, threadpool_waiting_peak=waiting, threadpool_saturated_ms=4000.0),
    )
    return evidence(threadpool=full) if name == "threadpool" else evidence(load=full)


def test_a_pool_with_room_is_not_found() -> None:
    assert threadpool.classify(evidence()) is None


def test_a_saturated_pool_beyond_n_users_is_medium() -> None:
    finding = threadpool.classify(_pool(40, 10))
    assert finding is not None
    assert finding.severity == "medium"
    assert "a plateau at 40 / R₁ = 381 req/s per process" in finding.evidence
    assert finding.cost == "reaches 300 req/s at 50 users where Little's law allows 476: x1.6 below"


def test_a_saturated_pool_at_n_users_is_high() -> None:
    finding = threadpool.classify(_pool(40, 3, name="load", users=20))
    assert finding is not None and finding.severity == "high"


def test_full_without_waiters_is_not_saturated() -> None:
    assert threadpool.classify(_pool(40, 0)) is None
    assert threadpool.classify(_pool(39, 5)) is None
