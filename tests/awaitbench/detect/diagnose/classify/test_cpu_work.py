"""cpu_work: loop CPU per upstream call >= 10 ms and running blocks at the app's code."""

from __future__ import annotations

from dataclasses import replace

from awaitbench.detect.diagnose.classify import cpu_work
from awaitbench.detect.diagnose.evidence import RouteEvidence
from awaitbench.detect.watchdog.report import Frame
from tests.awaitbench.detect.diagnose.evidence_builders import (
    APP_LINE,
    LIBRARY_LINE,
    evidence,
    loop,
    phase,
    site,
    upstream,
)

HTTPX_LINE = Frame(
    file="/venv/site-packages/httpx/_urlparse.py", line=259, function="urlparse", user_code=False
)


def _computing(
    cpu_ms: float, calls: int = 760, where: Frame | None = None, running_ms: float = 3000.0
) -> RouteEvidence:
    sites = (site("running", running_ms, where=where),) if where else (site("running", running_ms),)
    return evidence(
        load=phase(
            throughput_rps=40.0,
            loop_cpu_ms_per_request=cpu_ms,
            upstream=upstream(calls=calls, peak_in_flight=20),
            loop=loop(blocked_ms=running_ms, sites=sites),
        )
    )


def test_clean_route_is_not_found() -> None:
    assert cpu_work.classify(evidence()) is None


def test_cpu_on_the_loop_is_found_with_its_ceiling() -> None:
    finding = cpu_work.classify(_computing(25.0))
    assert finding is not None
    assert finding.severity == "high"
    assert finding.numbers["ceiling_rps"] == 40.0
    assert finding.numbers["running_share"] == 0.75
    assert "one process serves at most 40 req/s" in finding.evidence


def test_ten_ms_per_request_is_the_threshold() -> None:
    assert cpu_work.classify(_computing(9.9)) is None
    assert cpu_work.classify(_computing(10.0)) is not None


def test_cpu_is_counted_per_upstream_call() -> None:
    # Ten SDK calls per request cost the loop ~3 ms each: 30 ms per request is not CPU-bound Python.
    assert cpu_work.classify(_computing(30.0, calls=7600)) is None
    assert cpu_work.classify(_computing(100.0, calls=7600)) is not None


def test_blocks_in_library_code_only_are_not_the_apps_cpu_work() -> None:
    assert cpu_work.classify(_computing(25.0, where=LIBRARY_LINE)) is None


def test_running_under_a_tenth_of_the_phase_is_not_enough() -> None:
    assert cpu_work.classify(_computing(25.0, running_ms=399.0)) is None


def test_a_loop_running_inside_the_sdk_at_the_routes_await_is_not_found() -> None:
    # A loaded machine stretches the SDK's own request building (httpx parsing a URL) into long running
    # blocks whose innermost frame of the app is the route's `await client...create(...)` line.
    in_sdk = replace(site("running", 3000.0), stack=(APP_LINE, HTTPX_LINE))
    route = evidence(
        load=phase(
            throughput_rps=40.0,
            loop_cpu_ms_per_request=13.0,
            upstream=upstream(calls=760, peak_in_flight=20),
            loop=loop(blocked_ms=3000.0, sites=(in_sdk,)),
        )
    )
    assert cpu_work.classify(route) is None
