"""The demo's server on a real socket: the page and its stream, and only the page itself may drive it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bench.demo.recording import Recorder, read_recording
from bench.demo.server import Hub, Routes, start_server
from bench.errors import UsageError
from tests.waiting import wait_until_async

HELLO = {"kind": "hello", "mode": "live"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


async def _events(
    session: aiohttp.ClientSession, url: str, count: int, messages: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    async with session.get(url + "events") as response:
        assert response.headers["Content-Type"] == "text/event-stream"
        async for line in response.content:
            if line.startswith(b"data: "):
                messages.append(json.loads(line[6:]))
            if len(messages) == count:
                return messages
    return messages


def _count(messages: list[dict[str, Any]]) -> Callable[[], Awaitable[int]]:
    async def count() -> int:
        return len(messages)

    return count


@pytest.mark.asyncio
async def test_a_page_opened_mid_demo_gets_the_state_then_the_live_frames(tmp_path: Path) -> None:
    controls: list[Mapping[str, Any]] = []

    async def on_control(data: Mapping[str, Any]) -> None:
        if data.get("users") == 0:
            raise UsageError("users must be in 1..100, got 0")
        controls.append(data)

    hub = Hub(HELLO, Recorder(tmp_path / "demo.jsonl", {}))
    hub.publish({"kind": "stage", "at": 0.0, "scenario": "sync_client"})
    hub.publish({"kind": "frame", "at": 0.4, "t": 0.4})
    routes = Routes(
        source=hub.stream, on_control=on_control, snapshot_path=tmp_path / "shot.png", scenario="x"
    )
    server = await start_server(routes, port=0)
    try:
        async with aiohttp.ClientSession() as session:
            seen: list[dict[str, Any]] = []
            reading = asyncio.ensure_future(_events(session, server.url, 4, seen))
            await wait_until_async(_count(seen), 10.0, "the page's backlog", ready=lambda n: n >= 3)
            hub.publish({"kind": "frame", "at": 0.8, "t": 0.8})
            kinds = [(m["kind"], m.get("t")) for m in await reading]
            assert kinds == [("hello", None), ("stage", None), ("frame", 0.4), ("frame", 0.8)]
            page = await (await session.get(server.url)).text()
            assert "page.js" in page and "<canvas" in page
            script = await session.get(server.url + "page.js")
            assert script.status == 200 and "EventSource" in await script.text()
            assert (await session.get(server.url + "secrets.txt")).status == 404

            ok = await session.post(server.url + "control", json={"users": 40})
            assert ok.status == 200 and controls == [{"users": 40}]
            bad = await session.post(server.url + "control", json={"users": 0})
            assert bad.status == 400 and "users must be in 1..100" in (await bad.json())["error"]

            shot = await session.post(
                server.url + "snapshot", data=PNG, headers={"Content-Type": "image/png"}
            )
            assert shot.status == 200 and (await shot.json())["path"] == str(tmp_path / "shot.png")
            assert (tmp_path / "shot.png").read_bytes() == PNG
            not_png = await session.post(
                server.url + "snapshot", data=b"GIF89a", headers={"Content-Type": "image/png"}
            )
            assert not_png.status == 400
    finally:
        hub.close()
        await server.close()
        assert hub.recorder is not None
        hub.recorder.close()
    assert [m["kind"] for m in read_recording(tmp_path / "demo.jsonl").messages] == [
        "stage",
        "frame",
        "frame",
    ]


@pytest.mark.asyncio
async def test_no_other_page_can_drive_the_demo(tmp_path: Path) -> None:
    async def on_control(data: Mapping[str, Any]) -> None:
        raise AssertionError(f"a foreign request got through: {data}")

    async def nothing() -> AsyncIterator[Mapping[str, Any]]:
        yield HELLO

    routes = Routes(source=nothing, on_control=on_control, snapshot_path=tmp_path / "shot.png", scenario="x")
    server = await start_server(routes, port=0)
    try:
        async with aiohttp.ClientSession() as session:
            foreign = {"Origin": "http://evil.example"}
            assert (
                await session.post(server.url + "control", json={"users": 1}, headers=foreign)
            ).status == 403
            rebound = {"Host": "evil.example"}  # DNS rebinding: the right address under another name
            assert (
                await session.post(server.url + "control", json={"users": 1}, headers=rebound)
            ).status == 403
            form = await session.post(
                server.url + "control", data="users=1", headers={"Content-Type": "text/plain"}
            )
            assert form.status == 415
            shot = await session.post(server.url + "snapshot", data=PNG, headers=foreign)
            assert shot.status == 403
    finally:
        await server.close()
    assert not (tmp_path / "shot.png").exists()


@pytest.mark.asyncio
async def test_a_taken_port_is_a_usage_error() -> None:
    async def nothing() -> AsyncIterator[Mapping[str, Any]]:
        yield HELLO

    async def on_control(data: Mapping[str, Any]) -> None:
        return None

    routes = Routes(source=nothing, on_control=on_control, snapshot_path=None, scenario="x")
    first = await start_server(routes, port=0)
    try:
        port = int(first.url.rsplit(":", 1)[1].strip("/"))
        with pytest.raises(UsageError, match=f"127.0.0.1:{port} is taken"):
            await start_server(routes, port=port)
    finally:
        await first.close()
