"""The judgement over all classifiers: order, the subsumptions, and the notes."""

from __future__ import annotations

from dataclasses import replace

from awaitbench.detect.diagnose.evidence import HangProbe, RetryProbe
from awaitbench.detect.diagnose.judge import judge, notes
from awaitbench.detect.diagnose.outbound import OutboundHost
from tests.awaitbench.detect.diagnose.catalogue_fixtures import recorded
from tests.awaitbench.detect.diagnose.evidence_builders import evidence, phase, upstream


def test_a_clean_route_has_no_finding_and_a_deadline_note() -> None:
    assert judge(evidence()) == ()
    assert notes(evidence()) == (
        "when the upstream hangs, the route's deadline cuts the hung call after 60 s",
    )


def test_findings_come_most_severe_first() -> None:
    sync_in_async = recorded("sync_client__sync_in_async")
    hung = HangProbe(answered=False, status=None, latency_ms=900.0, waited_s=0.9, upstream_calls=1)
    both = replace(sync_in_async, hang=hung)  # no deadline visible: timeouts, medium
    assert [(f.pitfall, f.severity) for f in judge(both)] == [("sync_client", "high"), ("timeouts", "medium")]


def test_a_client_built_per_request_is_not_also_cpu_work() -> None:
    built = recorded("per_request_client__client_per_request")
    assert [f.pitfall for f in judge(built)] == ["per_request_client"]


def test_a_blocked_loop_starving_the_pool_is_the_blocking_finding_only() -> None:
    # A stream route reading a sync client on the loop: the pool starves too (its tasks cannot run),
    # a side effect of the loop being blocked, not a second pitfall.
    sync_in_async = recorded("sync_client__sync_in_async")
    starved = recorded("threadpool__default_limiter").threadpool
    assert starved is not None
    both = replace(sync_in_async, threadpool=starved)
    assert [f.pitfall for f in judge(both)] == ["sync_client"]


def test_a_host_not_captured_that_failed_is_noted() -> None:
    failing = OutboundHost(
        host="db.example",
        port=5432,
        captured=False,
        calls=3,
        errors=3,
        last_error="gaierror: no",
        via="socket",
    )
    noted = notes(evidence(load=phase(outbound=(failing,))))
    assert "it also called db.example:5432 (not captured): 3 of 3 call(s) failed, e.g. gaierror: no" in noted


def test_notes_say_what_was_not_probed_and_what_to_distrust() -> None:
    quiet = evidence(
        one_user=phase("one_user", upstream=upstream(calls=0)),
        load=phase(driver_cpu_share=0.95, errors=3),
        hang=None,
        retry=None,
    )
    assert notes(quiet) == (
        "the route made no upstream call: no 429 or hang probe",
        "the load driver used 95% of a core in the load phase: its throughput is a lower bound",
        "3 request(s) of the load phase got no answer",
    )


def test_a_retry_probe_that_could_not_settle_is_no_finding_and_a_note() -> None:
    busy = RetryProbe(
        answered=False, status=None, latency_ms=0.0, upstream_attempts=0, retry_after_ms=500.0, settled=False
    )
    route = evidence(retry=busy)
    assert [f.pitfall for f in judge(route)] == []
    assert notes(route)[0].startswith("no 429 probe: the app kept calling the upstream for earlier requests")
