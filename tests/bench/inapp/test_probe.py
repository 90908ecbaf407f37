"""The loop-lag probe: in process (ASGI) for the figures, under real uvicorn for the side channel."""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import httpx

from bench.inapp.probe import PROBE_DIR_ENV, PROBE_PATH, ProbeState
from bench.processes import ManagedProcess, ProcessSpec, free_port
from tests.bench.inapp.probe_app import make_app
from tests.waiting import wait_until, wait_until_async


def test_state_reports_stall_in_progress() -> None:
    state = ProbeState()
    state.record(0.002, threadpool_busy=3, threadpool_total=40)
    state.last_tick = time.monotonic() - 0.5  # the loop has not ticked for half a second
    snap = state.snapshot()
    assert snap["samples"] == 1
    assert snap["lag_max_ms"] >= 400  # wide margin: the stall is 500 ms minus one tick
    assert snap["threadpool_busy_peak"] == 3 and snap["threadpool_total"] == 40
    state.reset()
    assert state.snapshot()["samples"] == 0


def test_probe_sees_blocking_and_threadpool_in_process() -> None:
    async def scenario() -> tuple[dict[str, object], dict[str, object], dict[str, object]]:
        app = make_app()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:

            async def probe() -> dict[str, object]:
                return dict((await client.get(PROBE_PATH)).json())

            await client.get("/health")  # starts the probe
            quiet = await wait_until_async(
                probe, 5.0, "a few idle ticks of the probe", ready=lambda s: int(s["samples"]) > 5
            )
            await client.post(f"{PROBE_PATH}/reset")
            await client.post("/block", params={"seconds": 0.3})
            # The tick that was due during the block lands late and is recorded (no stall in progress any
            # more, so it cannot spill into the next window): the 300 ms block, with a wide margin.
            blocked = await wait_until_async(
                probe,
                5.0,
                "the probe to record the block",
                ready=lambda s: float(s["lag_max_ms"]) >= 200 and float(s["current_stall_ms"]) < 50,
            )
            await client.post(f"{PROBE_PATH}/reset")
            await asyncio.gather(
                *(client.post("/sleep-in-thread", params={"seconds": 0.3}) for _ in range(5))
            )
            threads = (await client.get(PROBE_PATH)).json()
            return quiet, blocked, threads

    quiet, blocked, threads = asyncio.run(scenario())
    assert quiet["lag_p50_ms"] < 50  # an idle loop: far below one blocked call
    assert blocked["lag_max_ms"] >= 200
    assert threads["threadpool_busy_peak"] >= 2  # 5 concurrent def routes hold limiter tokens
    assert threads["lag_max_ms"] < 200  # ... while the loop itself stays responsive


def test_side_channel_answers_while_the_loop_is_blocked(
    tmp_path: Path, start_process: Callable[[ProcessSpec], ManagedProcess]
) -> None:
    port = free_port()
    probe_dir = tmp_path / "probe"
    start_process(
        ProcessSpec(
            name="probe_app",
            argv=[
                *(sys.executable, "-m", "uvicorn", "--factory", "tests.bench.inapp.probe_app:make_app"),
                *("--port", str(port), "--log-level", "warning"),
            ],
            env={PROBE_DIR_ENV: str(probe_dir)},
            ready_url=f"http://127.0.0.1:{port}/health",
        )
    )
    (port_file,) = probe_dir.glob("probe-*.port")
    side = f"http://127.0.0.1:{port_file.read_text()}/"
    blocker = threading.Thread(
        target=lambda: urllib.request.urlopen(
            urllib.request.Request(f"http://127.0.0.1:{port}/block?seconds=1.5", method="POST", data=b""),
            timeout=10,
        ).read()
    )

    def side_snapshot() -> dict[str, float]:
        with urllib.request.urlopen(side, timeout=5) as response:
            return dict(json.loads(response.read()))

    blocker.start()
    # The loop is frozen once the side channel sees a stall in progress; the block lasts 1.5 s.
    wait_until(
        side_snapshot, 5.0, "the app's loop to be blocked", ready=lambda s: s["current_stall_ms"] >= 200
    )
    started = time.monotonic()
    snap = side_snapshot()
    answered_in_s = time.monotonic() - started
    blocker.join()
    # The app's loop is frozen for 1.5 s; the side channel must not wait for it (1 s margin).
    assert answered_in_s < 1.0
    assert snap["current_stall_ms"] >= 200
