"""per_request_client: new upstream connections per call in the one-user phase."""

from __future__ import annotations

from awaitbench.detect.diagnose.classify import per_request_client
from awaitbench.detect.diagnose.evidence import RouteEvidence
from tests.awaitbench.detect.diagnose.evidence_builders import evidence, loop, phase, site, upstream


def _fresh(new: int, calls: int = 5, unclosed: int = 0) -> RouteEvidence:
    return evidence(
        one_user=phase(
            "one_user",
            upstream=upstream(calls=calls, new_connections=new, peak_in_flight=1),
            loop=loop(unclosed=unclosed, unclosed_example="Unclosed client session" if unclosed else ""),
        )
    )


def test_shared_client_is_not_found() -> None:
    assert per_request_client.classify(evidence()) is None


def test_one_connection_per_call_is_found() -> None:
    finding = per_request_client.classify(_fresh(5, unclosed=5))
    assert finding is not None
    assert finding.numbers == {
        "new_connections_per_call": 1.0,
        "unclosed_warnings": 5,
        "loop_cpu_ms_per_request": 3.5,
    }
    assert finding.location == "unclosed: Unclosed client session"


def test_half_a_connection_per_call_is_the_threshold() -> None:
    assert per_request_client.classify(_fresh(2, calls=5)) is None
    assert per_request_client.classify(_fresh(3, calls=6)) is not None


def test_a_single_call_proves_nothing() -> None:
    assert per_request_client.classify(_fresh(1, calls=1)) is None


def test_the_location_is_where_the_loop_was_blocked_building_the_client() -> None:
    built = evidence(
        one_user=phase("one_user", upstream=upstream(calls=5, new_connections=5, peak_in_flight=1)),
        load=phase(loop=loop(blocked_ms=900.0, sites=(site("running", 900.0),))),
    )
    finding = per_request_client.classify(built)
    assert finding is not None and finding.location == "app/routes.py:42 in ask: reply = client.create()"
