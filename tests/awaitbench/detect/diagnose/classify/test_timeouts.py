"""timeouts: the hang probe's answer, else the request's armed deadlines or its socket's timeout."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from awaitbench.detect.diagnose.classify import timeouts
from awaitbench.detect.diagnose.evidence import HangProbe, RouteEvidence
from tests.awaitbench.detect.diagnose.evidence_builders import APP_LINE, evidence


def _hung(**changes: Any) -> RouteEvidence:
    base = HangProbe(answered=False, status=None, latency_ms=1100.0, waited_s=1.1, upstream_calls=1)
    return evidence(hang=replace(base, **changes))


def test_a_stated_deadline_is_not_found() -> None:
    assert timeouts.classify(evidence()) is None  # 60 s armed, under the 120 s limit


def test_an_answer_within_the_probe_is_not_found() -> None:
    answered = _hung(answered=True, status=504, latency_ms=1005.0, waited_s=5.0)
    assert timeouts.classify(answered) is None
    assert timeouts.deadline_note(answered) == "when the upstream hangs, the route answers 504 after 1 s"


def test_the_sdk_default_is_found_at_its_line() -> None:
    finding = timeouts.classify(_hung(deadlines_s=(600.0, 600.5), awaiting_at=APP_LINE))
    assert finding is not None
    assert finding.severity == "high" and not finding.ambiguous
    assert finding.numbers == {"waited_s": 1.1, "deadline_s": 600.0}
    assert "fires 600 s after it started" in finding.evidence
    assert finding.location == "app/routes.py:42 in ask: reply = client.create()"


def test_the_limit_is_max_deadline_s() -> None:
    assert timeouts.classify(_hung(deadlines_s=(120.0,))) is None
    assert timeouts.classify(_hung(deadlines_s=(120.1,))) is not None
    assert timeouts.classify(_hung(deadlines_s=(120.1,), max_deadline_s=300.0)) is None


def test_a_sync_clients_socket_timeout_counts() -> None:
    assert timeouts.classify(_hung(deadlines_s=(), socket_timeouts_s=(60.0,))) is None
    finding = timeouts.classify(_hung(deadlines_s=(), socket_timeouts_s=(600.0,)))
    assert finding is not None and "socket times out after 600 s" in finding.evidence


def test_a_socket_without_timeout_is_never_cut() -> None:
    finding = timeouts.classify(_hung(deadlines_s=(), socket_timeouts_s=(60.0, None)))
    assert finding is not None
    assert finding.numbers["deadline_s"] == -1.0
    assert finding.cost.startswith("a hung call holds its user for good")


def test_no_visible_deadline_is_ambiguous() -> None:
    finding = timeouts.classify(_hung(waited_s=5.0))
    assert finding is not None
    assert (finding.severity, finding.ambiguous) == ("medium", True)


def test_a_probe_that_never_reached_the_upstream_proves_nothing() -> None:
    assert timeouts.classify(_hung(upstream_calls=0, waited_s=5.0)) is None
