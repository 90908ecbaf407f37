"""Evidence for the classifiers' unit tests: a clean route by default, changed only where a test says.

The defaults are the figures of a healthy async route measured on the development box (L = 100 ms,
R₁ = 105 ms, 20 users at 190 req/s, one upstream call per request, a shared keep-alive client, no
loop block), so each test states exactly the numbers its pitfall changes.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from awaitbench.detect.diagnose.evidence import (
    BlockSite,
    HangProbe,
    LoopFigures,
    NeverAwaitedSite,
    PhaseFigures,
    PhaseName,
    RetryProbe,
    RouteEvidence,
    RouteRef,
    UpstreamFigures,
)
from awaitbench.detect.watchdog.report import BlockState, Frame

__all__ = ["APP_LINE", "LIBRARY_LINE", "evidence", "phase", "site"]

APP_LINE = Frame(
    file="app/routes.py", line=42, function="ask", source="reply = client.create()", user_code=True
)
LIBRARY_LINE = Frame(
    file="/venv/site-packages/httpcore/_utils.py", line=47, function="readable", user_code=False
)


def site(state: BlockState, total_ms: float, *, count: int = 5, where: Frame = APP_LINE) -> BlockSite:
    return BlockSite(
        location=where,
        state=state,
        count=count,
        total_ms=total_ms,
        max_ms=total_ms / count,
        on_cpu_fraction=0.9 if state == "running" else 0.01,
        stack=(where,),
        routes=("POST /ask",),
    )


def phase(name: PhaseName = "load", **changes: Any) -> PhaseFigures:
    """A healthy phase: one user for 5 requests, or 20 users for 4 s."""
    one = name == "one_user"
    users = 1 if one else 20
    started = 5 if one else 760
    base = PhaseFigures(
        name=name,
        users=users,
        started=started,
        requests=started if one else 570,
        errors=0,
        statuses={"200": started},
        window_s=0.53 if one else 3.0,
        wall_s=0.53 if one else 4.0,
        throughput_rps=9.5 if one else 190.0,
        latency_p50_ms=105.0,
        latency_p99_ms=110.0,
        upstream=UpstreamFigures(calls=started, new_connections=0 if one else 20, peak_in_flight=users),
        loop=LoopFigures(threshold_ms=20.0, threadpool_total=40),
        app_cpu_ms_per_request=4.0,
        loop_cpu_ms_per_request=3.5,
        driver_cpu_share=0.05,
    )
    return replace(base, **changes)


def upstream(**changes: Any) -> UpstreamFigures:
    return replace(UpstreamFigures(), **changes)


def loop(**changes: Any) -> LoopFigures:
    return replace(LoopFigures(threshold_ms=20.0, threadpool_total=40), **changes)


def evidence(**changes: Any) -> RouteEvidence:
    """A clean route: both phases healthy, the SDK's own retries, a 60 s deadline on hung calls."""
    base = RouteEvidence(
        route=RouteRef(method="POST", path="/ask", name="ask"),
        upstream_latency_ms=100.0,
        users=20,
        one_user=phase("one_user"),
        load=phase("load"),
        retry=RetryProbe(
            answered=True, status=502, latency_ms=1010.0, upstream_attempts=3, retry_after_ms=500.0
        ),
        hang=HangProbe(
            answered=False,
            status=None,
            latency_ms=1100.0,
            waited_s=1.1,
            upstream_calls=1,
            deadlines_s=(60.0,),
        ),
    )
    return replace(base, **changes)


def never_awaited(count: int) -> NeverAwaitedSite:
    return NeverAwaitedSite(
        coroutine="record_answer",
        defined_at=Frame(file="app/store.py", line=10, function="record_answer"),
        origin=APP_LINE,
        count=count,
    )
