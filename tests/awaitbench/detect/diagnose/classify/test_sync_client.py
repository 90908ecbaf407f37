"""sync_client: parked loop + an upstream that never overlaps two calls although N users wait."""

from __future__ import annotations

from awaitbench.detect.diagnose.classify import sync_client
from awaitbench.detect.diagnose.evidence import RouteEvidence
from tests.awaitbench.detect.diagnose.evidence_builders import evidence, loop, phase, site, upstream


def _stuck(parked_ms: float = 3800.0, peak: int = 1, users: int = 20) -> RouteEvidence:
    return evidence(
        load=phase(
            users=users,
            throughput_rps=9.5,
            upstream=upstream(calls=38, peak_in_flight=peak),
            loop=loop(blocked_ms=parked_ms, blocks=4, sites=(site("parked", parked_ms, count=4),)),
        )
    )


def test_clean_route_is_not_found() -> None:
    assert sync_client.classify(evidence()) is None


def test_parked_loop_and_serialised_upstream_is_found_with_its_numbers() -> None:
    finding = sync_client.classify(_stuck())
    assert finding is not None
    assert finding.severity == "high"
    assert finding.numbers == {
        "users": 20,
        "upstream_peak_in_flight": 1,
        "parked_share": 0.95,
        "parked_ms_per_call": 100.0,
    }
    assert finding.location == "app/routes.py:42 in ask: reply = client.create()"
    assert finding.cost == "reaches 9.5 req/s at 20 users where Little's law allows 190: x20 below"


def test_overlapping_upstream_calls_are_not_a_sync_client() -> None:
    assert sync_client.classify(_stuck(peak=2)) is None


def test_a_loop_parked_under_a_tenth_of_the_phase_is_not_enough() -> None:
    assert sync_client.classify(_stuck(parked_ms=399.0)) is None
    assert sync_client.classify(_stuck(parked_ms=400.0)) is not None


def test_one_user_cannot_show_serialisation() -> None:
    assert sync_client.classify(_stuck(users=1)) is None


def test_a_route_without_upstream_calls_is_not_a_sync_client() -> None:
    quiet = _stuck()
    no_calls = evidence(load=quiet.load, one_user=phase("one_user", upstream=upstream(calls=0)))
    assert sync_client.classify(no_calls) is None
