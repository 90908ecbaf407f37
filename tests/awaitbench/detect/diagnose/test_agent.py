"""The agent in process: blocks and dropped coroutines per phase, request tags, the probe header, the
side channel answering while the loop is blocked (a real HTTP server on its own thread), and its snapshot's
JSON."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.request
import warnings
from typing import Any

import pytest
from pydantic import ValidationError

from awaitbench.detect.diagnose.agent import AGENT_SNAPSHOT, AgentSnapshot, diagnosis_agent
from awaitbench.detect.diagnose.deadlines import tracking_loop_factory
from awaitbench.detect.harness import Harness
from awaitbench.detect.side_channel import start_side_channel
from awaitbench.detect.watchdog.app_watch import Message, Receive, Scope, Send
from awaitbench.detect.watchdog.config import WatchConfig
from awaitbench.detect.watchdog.report import Block, Frame, NeverAwaited, ResourceLeak, ThreadpoolUsage
from bench.processes import free_port
from tests.waiting import wait_until


async def _save() -> None:
    await asyncio.sleep(0)


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """A raw ASGI app: /block sleeps 120 ms on the loop, /drop forgets an await, /wait sleeps politely."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    if scope["path"] == "/block":
        time.sleep(0.12)
    elif scope["path"] == "/drop":
        _save()  # type: ignore[unused-coroutine]  # the forgotten await the agent must report
    else:
        await asyncio.sleep(0.3)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def _call(agent: Harness[AgentSnapshot], path: str, headers: list[tuple[bytes, bytes]] | None = None) -> Any:
    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        return None

    scope = {"type": "http", "method": "GET", "path": path, "headers": headers or []}
    return agent(scope, receive, send)


def test_agent_records_blocks_and_dropped_coroutines_per_phase() -> None:
    watch = WatchConfig(threshold_ms=20, loops="current", coroutine_origin_depth=8)
    agent = diagnosis_agent(app, watch=watch)

    async def main() -> tuple[Any, Any]:
        await _call(agent, "/block")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # the suite turns warnings into errors
            await _call(agent, "/drop")
        await asyncio.sleep(0.05)
        first = agent.snapshot()
        agent.recorder.reset()
        await _call(agent, "/wait")
        return first, agent.snapshot()

    first, second = asyncio.run(main())
    # At a 20 ms threshold a loaded 2-core machine can stall the whole process between requests: such a
    # block belongs to no route. What the test pins down is the route's block.
    routed = [b for b in first.blocks if b.route is not None]
    assert [b.route for b in routed] == ["GET /block"]
    assert routed[0].state == "parked" and routed[0].duration_ms >= 90
    assert [n.coroutine for n in first.never_awaited] == ["_save"]
    assert first.never_awaited[0].origin is not None and first.never_awaited[0].origin.function == "app"
    assert [b for b in second.blocks if b.route is not None] == [] and second.never_awaited == ()
    assert first.loop_thread_id == threading.get_native_id()


def test_side_channel_answers_while_the_loop_is_blocked_and_sees_the_probe_request() -> None:
    agent = diagnosis_agent(app, watch=WatchConfig(threshold_ms=20, loops="current"))
    port = free_port()
    server = start_side_channel(agent, port)
    seen: dict[str, Any] = {}

    def read(path: str) -> Any:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return json.loads(response.read())

    async def main() -> None:
        waiting = asyncio.ensure_future(_call(agent, "/wait", [(b"x-awaitbench-probe", b"probe-1")]))
        await asyncio.sleep(0.05)
        reader = threading.Thread(target=lambda: seen.update(inflight=read("/inflight")))
        reader.start()
        await waiting
        reader.join()
        blocked = asyncio.ensure_future(_call(agent, "/block"))

        def stall_seen() -> None:
            seen["during"] = wait_until(
                lambda: read("/snapshot"),
                5.0,
                "a stall seen from outside",
                ready=lambda s: s["current_stall_ms"] > 30,
            )

        snapshotter = threading.Thread(target=stall_seen)
        await asyncio.sleep(0)  # let the snapshot thread start before the loop blocks
        snapshotter.start()
        await blocked
        snapshotter.join()

    try:
        with asyncio.Runner(loop_factory=tracking_loop_factory("asyncio")) as runner:
            runner.run(main())
    finally:
        server.shutdown()
        server.server_close()
    (request,) = seen["inflight"]["requests"]
    assert (request["probe"], request["path"]) == ("probe-1", "/wait")
    assert 0.1 < request["timers_s"][0] < 0.3
    assert request["awaiting_at"]["function"] == "app"
    assert seen["during"]["current_stall_ms"] > 30


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
    assert AGENT_SNAPSHOT.validate_json(AGENT_SNAPSHOT.dump_json(snapshot)) == snapshot


def test_foreign_documents_are_rejected() -> None:
    with pytest.raises(ValidationError, match="Input should be a dictionary"):
        AGENT_SNAPSHOT.validate_python([])
    with pytest.raises(ValidationError, match="pid"):
        AGENT_SNAPSHOT.validate_python({"since_reset_s": 1})
    with pytest.raises(ValidationError, match=r"blocks\.0\.state"):
        blocks = [{"state": "?", "duration_ms": 1}]
        AGENT_SNAPSHOT.validate_python(
            {"pid": 1, "loop_thread_id": None, "since_reset_s": 1, "blocks": blocks}
        )
