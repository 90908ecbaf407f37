"""The timers each request arms, on both loops; the line a suspended request waits at; socket timeouts."""

from __future__ import annotations

import asyncio
import socket

import anyio
import pytest

from awaitbench.detect.diagnose.deadlines import (
    IN_FLIGHT,
    InFlightReport,
    LoopKind,
    RequestDeadlines,
    awaiting_frames,
    current_request,
    in_flight,
    serving,
    tracking_loop_factory,
    upstream_socket_timeouts,
)
from awaitbench.detect.watchdog.report import Frame


async def _wait_in_child(seconds: float) -> None:
    with anyio.fail_after(600):  # what httpcore does around a read: the SDK's default timeout
        await asyncio.sleep(seconds)


@pytest.mark.parametrize("kind", ["uvloop", "asyncio"])
def test_timers_are_noted_against_the_request_that_armed_them(kind: LoopKind) -> None:
    async def main() -> tuple[list[float], list[float]]:
        outside = asyncio.ensure_future(asyncio.sleep(30))  # not a request: not noted
        with serving("POST", "/ask", probe="p1") as record:
            child = asyncio.ensure_future(_wait_in_child(5))  # a child task inherits the request
            async with asyncio.timeout(1.5):
                await asyncio.sleep(0.05)
                pending = record.pending_s()
            child.cancel()
            await asyncio.sleep(0)
            after = record.pending_s()
        outside.cancel()
        return pending, after

    with asyncio.Runner(loop_factory=tracking_loop_factory(kind)) as runner:
        pending, after = runner.run(main())
    assert [round(p) for p in pending] == [1, 5, 600]
    assert after == []  # cancelled timers are not deadlines any more
    assert in_flight() == [] and current_request() is None


def test_the_line_a_suspended_request_awaits_is_found() -> None:
    async def main() -> list[str]:
        with serving("GET", "/x") as record:
            task = asyncio.ensure_future(_wait_in_child(5))
            record.task = task
            await asyncio.sleep(0.01)
            frames = [function for _, _, function, _ in awaiting_frames(task)]
            task.cancel()
            return frames

    assert asyncio.run(main()) == ["_wait_in_child", "sleep"]


def test_blocking_sockets_to_the_upstream_report_their_timeout() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        timed, untimed, other = socket.socket(), socket.socket(), socket.socket()
        with timed, untimed, other:
            for sock in (timed, untimed):
                sock.connect(("127.0.0.1", port))
            timed.settimeout(60.0)
            assert sorted(upstream_socket_timeouts(port), key=lambda t: t or 0) == [None, 60.0]
            timed.setblocking(False)  # asyncio's sockets: their deadlines are loop timers, not counted
            assert upstream_socket_timeouts(port) == [None]


def test_in_flight_report_round_trips() -> None:
    line = Frame(file="/app/routes.py", line=3, function="ask", source="await client.create()")
    report = InFlightReport(
        requests=(
            RequestDeadlines(
                method="POST", path="/ask", probe="h1", age_s=0.2, timers_s=(59.8,), awaiting_at=line
            ),
        ),
        upstream_socket_timeouts_s=(None, 60.0),
    )
    assert IN_FLIGHT.validate_json(IN_FLIGHT.dump_json(report)) == report
    assert report.for_probe("h1") is report.requests[0] and report.for_probe("h2") is None
