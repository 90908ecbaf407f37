"""Synthetic watchdog results for unit tests of pure logic (grouping, rendering, log lines, metrics)."""

from __future__ import annotations

from awaitbench.detect.watchdog.report import Block, BlockState, Frame

LIBRARY_FRAME = Frame(
    file="/usr/lib/python3.11/site-packages/httpx/_client.py", line=10, function="send", user_code=False
)


def make_block(
    *,
    file: str = "app/services.py",
    line: int = 42,
    function: str = "parse_document",
    source: str = "time.sleep(0.05)",
    duration_ms: float = 51.0,
    route: str | None = "POST /extract",
    state: BlockState = "parked",
) -> Block:
    location = Frame(file=file, line=line, function=function, source=source)
    caller = Frame(file="app/routes.py", line=7, function="extract", source="parse_document(body)")
    return Block(
        duration_ms=duration_ms,
        location=location,
        stack=(LIBRARY_FRAME, caller, location),
        route=route,
        state=state,
        running_fraction=0.01 if state == "parked" else 0.97,
        on_cpu_fraction=0.01 if state == "parked" else 0.95,
        samples=5,
        location_share=1.0,
        thread_name="MainThread",
        started_at=1_700_000_000.0,
    )
