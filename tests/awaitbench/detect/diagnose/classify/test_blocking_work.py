"""blocking_work: parked in the one-user phase, not on the upstream; ambiguous without a dominant line."""

from __future__ import annotations

from awaitbench.detect.diagnose.classify import blocking_work
from awaitbench.detect.diagnose.evidence import BlockSite, RouteEvidence
from tests.awaitbench.detect.diagnose.evidence_builders import LIBRARY_LINE, evidence, loop, phase, site


def _parked(one_user_ms: float, *sites_: BlockSite, load_ms: float = 2000.0) -> RouteEvidence:
    sites = sites_ or (site("parked", one_user_ms),)
    return evidence(
        one_user=phase("one_user", loop=loop(blocked_ms=one_user_ms, sites=sites)),
        load=phase(loop=loop(blocked_ms=load_ms, sites=(site("parked", load_ms),))),
    )


def test_clean_route_is_not_found() -> None:
    assert blocking_work.classify(evidence()) is None


def test_parked_loop_at_one_user_is_found() -> None:
    finding = blocking_work.classify(_parked(250.0))
    assert finding is not None
    assert (finding.severity, finding.ambiguous) == ("high", False)
    assert finding.numbers == {
        "parked_ms_per_request": 50.0,
        "parked_share_one_user": 0.472,
        "parked_share_load": 0.5,
    }
    assert finding.location == "app/routes.py:42 in ask: reply = client.create()"


def test_a_tenth_of_the_one_user_phase_is_the_threshold() -> None:
    assert blocking_work.classify(_parked(52.0)) is None  # 0.53 s phase: 9.8%
    assert blocking_work.classify(_parked(54.0)) is not None


def test_a_single_block_is_not_enough() -> None:
    assert blocking_work.classify(_parked(250.0, site("parked", 250.0, count=1))) is None


def test_running_blocks_are_not_blocking_work() -> None:
    assert blocking_work.classify(_parked(250.0, site("running", 250.0))) is None


def test_parked_time_with_no_line_of_the_app_is_ambiguous_and_low() -> None:
    finding = blocking_work.classify(_parked(250.0, site("parked", 250.0, where=LIBRARY_LINE)))
    assert finding is not None
    assert (finding.severity, finding.ambiguous) == ("low", True)
    assert "GIL" in finding.evidence


def test_medium_when_the_load_phase_is_parked_under_thirty_percent() -> None:
    finding = blocking_work.classify(_parked(250.0, load_ms=1000.0))
    assert finding is not None and finding.severity == "medium"


def test_the_load_phase_must_agree() -> None:
    assert blocking_work.classify(_parked(250.0, load_ms=399.0)) is None  # 4 s phase


def test_a_loop_that_computed_as_long_as_it_was_parked_is_not_blocking_work() -> None:
    # cpu_work:inline on a busy box: two blocks read parked (the thread waited for the GIL), 31 ms per
    # request, while psutil says the loop thread computed 25 ms per request.
    computing = _parked(155.0)
    busy = evidence(
        one_user=phase("one_user", loop=computing.one_user.loop, loop_cpu_ms_per_request=31.0),
        load=computing.load,
    )
    assert blocking_work.classify(busy) is None
    assert blocking_work.classify(_parked(155.0)) is not None  # 3.5 ms of CPU
