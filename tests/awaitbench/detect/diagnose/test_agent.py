"""The agent in process: blocks and dropped coroutines per phase, request tags, the probe header, and the
side channel answering while the loop is blocked (a real HTTP server on its own thread)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.request
import warnings
from typing import Any

from awaitbench.detect.diagnose.agent import DiagnoseAgent
from awaitbench.detect.diagnose.channel import start_channel
from awaitbench.detect.diagnose.deadlines import tracking_loop_factory
from awaitbench.detect.watchdog.app_watch import Message, Receive, Scope, Send
from awaitbench.detect.watchdog.config import WatchConfig
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


def _call(agent: DiagnoseAgent, path: str, headers: list[tuple[bytes, bytes]] | None = None) -> Any:
    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        return None

    scope = {"type": "http", "method": "GET", "path": path, "headers": headers or []}
    return agent(scope, receive, send)


def test_agent_records_blocks_and_dropped_coroutines_per_phase() -> None:
    agent = DiagnoseAgent(app, watch=WatchConfig(threshold_ms=20, loops="current", coroutine_origin_depth=8))

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
    agent = DiagnoseAgent(app, watch=WatchConfig(threshold_ms=20, loops="current"))
    port = free_port()
    server = start_channel(agent, port)
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
