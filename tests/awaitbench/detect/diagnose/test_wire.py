"""The side channel's documents round-trip, and a foreign one is rejected by name."""

from __future__ import annotations

import pytest

from awaitbench.detect.diagnose.wire import AgentSnapshot, InFlightReport, RequestDeadlines, WireError
from awaitbench.detect.watchdog.report import Block, Frame, NeverAwaited, ResourceLeak, ThreadpoolUsage

LINE = Frame(file="/app/routes.py", line=3, function="ask", source="time.sleep(1)")


def test_agent_snapshot_round_trips() -> None:
    block = Block(
        duration_ms=51.0,
        location=LINE,
        stack=(LINE,),
        route="POST /ask",
        state="parked",
        running_fraction=0.01,
        on_cpu_fraction=0.0,
        samples=4,
        location_share=1.0,
        thread_name="MainThread",
        started_at=1.0,
    )
    snapshot = AgentSnapshot(
        pid=7,
        loop_thread_id=7,
        since_reset_s=1.5,
        blocks=(block,),
        threadpool=ThreadpoolUsage(peak_borrowed=40, total_tokens=40, peak_waiting=3, saturated_ms=10.0),
        never_awaited=(NeverAwaited(coroutine="save", defined_at=LINE, created_at=(LINE,)),),
        resource_warnings=(ResourceLeak(message="unclosed", source_type="socket", file="x.py", line=1),),
        threshold_ms=20.0,
    )
    assert AgentSnapshot.from_json(snapshot.to_json()) == snapshot


def test_in_flight_report_round_trips() -> None:
    report = InFlightReport(
        requests=(
            RequestDeadlines(
                method="POST", path="/ask", probe="h1", age_s=0.2, timers_s=(59.8,), awaiting_at=LINE
            ),
        ),
        upstream_socket_timeouts_s=(None, 60.0),
    )
    assert InFlightReport.from_json(report.to_json()) == report
    assert report.for_probe("h1") is report.requests[0] and report.for_probe("h2") is None


def test_foreign_documents_are_rejected() -> None:
    with pytest.raises(WireError, match="snapshot must be a JSON object"):
        AgentSnapshot.from_json([])
    with pytest.raises(WireError, match="pid"):
        AgentSnapshot.from_json({"since_reset_s": 1})
    with pytest.raises(WireError, match=r"block\.state"):
        AgentSnapshot.from_json({"pid": 1, "since_reset_s": 1, "blocks": [{"state": "?", "duration_ms": 1}]})
