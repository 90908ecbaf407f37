"""forgotten_await: never-awaited coroutines in the route's phases, located at their origin."""

from __future__ import annotations

from awaitbench.detect.diagnose.classify import forgotten_await
from tests.awaitbench.detect.diagnose.evidence_builders import evidence, loop, never_awaited, phase


def test_clean_route_is_not_found() -> None:
    assert forgotten_await.classify(evidence()) is None


def test_dropped_coroutines_are_found_at_their_origin() -> None:
    dropped = evidence(
        one_user=phase("one_user", loop=loop(never_awaited=(never_awaited(5),))),
        load=phase(loop=loop(never_awaited=(never_awaited(760),))),
    )
    finding = forgotten_await.classify(dropped)
    assert finding is not None
    assert finding.numbers == {"never_awaited": 765, "requests": 765, "kinds": 1}
    assert finding.location == "app/routes.py:42 in ask: reply = client.create()"
    assert "'record_answer'" in finding.cost


def test_one_dropped_coroutine_is_enough() -> None:
    once = evidence(load=phase(loop=loop(never_awaited=(never_awaited(1),))))
    assert forgotten_await.classify(once) is not None
