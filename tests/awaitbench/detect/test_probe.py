"""The harness's probe mode: in process (ASGI) for the figures, under real uvicorn for the side channel."""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from awaitbench.detect.probe import LAG_SNAPSHOT, PROBE_DIR_ENV, PROBE_PATH, LagRecorder
from awaitbench.detect.watchdog.threadpool import ThreadpoolReading
from bench.processes import ManagedProcess, ProcessSpec, free_port
from tests.awaitbench.detect.probe_app import make_app


def _snapshot(recorder: LagRecorder, stall_ms: float = 0.0) -> dict[str, Any]:
    snapshot = recorder.snapshot(stall_ms=stall_ms, loop_thread_id=None, threshold_ms=50.0)
    dumped: dict[str, Any] = LAG_SNAPSHOT.dump_python(snapshot)
    return dumped


def test_recorder_reports_stall_in_progress() -> None:
    recorder = LagRecorder()
    recorder.on_lag(0.002)
    recorder.on_threadpool(ThreadpoolReading(borrowed=3, total=40, waiting=0), 0.02)
    snap = _snapshot(recorder, stall_ms=500.0)  # the monitor's canary has waited half a second
    assert snap["samples"] == 1
    assert snap["lag_max_ms"] == 500.0 and snap["current_stall_ms"] == 500.0
    assert snap["threadpool_busy_peak"] == 3 and snap["threadpool_total"] == 40
    recorder.reset()
    snap = _snapshot(recorder)
    assert snap["samples"] == 0
    assert snap["threadpool_busy_peak"] == 3  # the pool did not change: the reset starts from the present


def test_snapshot_keeps_the_wire_format() -> None:
    # The bench reads these keys through the side channel (bench.run.point_children.ProbeClient).
    assert set(_snapshot(LagRecorder())) == {
        *("pid", "samples", "since_reset_s", "lag_p50_ms", "lag_p99_ms", "lag_max_ms"),
        *("current_stall_ms", "threadpool_busy_peak", "threadpool_total"),
    }


def test_probe_sees_blocking_and_threadpool_in_process() -> None:
    async def scenario() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        app = make_app()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            await client.get("/health")  # starts the probe
            await asyncio.sleep(0.3)
            quiet = (await client.get(PROBE_PATH)).json()
            await client.post(f"{PROBE_PATH}/reset")
            await client.post("/block", params={"seconds": 0.3})
            await asyncio.sleep(0.05)
            blocked = (await client.get(PROBE_PATH)).json()
            await client.post(f"{PROBE_PATH}/reset")
            await asyncio.gather(
                *(client.post("/sleep-in-thread", params={"seconds": 0.3}) for _ in range(5))
            )
            threads = (await client.get(PROBE_PATH)).json()
            return quiet, blocked, threads

    quiet, blocked, threads = asyncio.run(scenario())
    assert quiet["samples"] > 5
    assert quiet["lag_p50_ms"] < 50  # an idle loop: far below one blocked call
    assert blocked["lag_max_ms"] >= 200  # the 300 ms block, with a wide margin
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
                *(sys.executable, "-m", "uvicorn", "--factory", "tests.awaitbench.detect.probe_app:make_app"),
                *("--port", str(port), "--log-level", "warning"),
            ],
            env={PROBE_DIR_ENV: str(probe_dir)},
            ready_url=f"http://127.0.0.1:{port}/health",
        )
    )
    (port_file,) = probe_dir.glob("probe-*.port")
    side = f"http://127.0.0.1:{port_file.read_text()}/snapshot"
    blocker = threading.Thread(
        target=lambda: urllib.request.urlopen(
            urllib.request.Request(f"http://127.0.0.1:{port}/block?seconds=1.5", method="POST", data=b""),
            timeout=10,
        ).read()
    )
    blocker.start()
    # Poll the side channel (it must answer at once) until it sees the stall building up.
    deadline = time.monotonic() + 10
    while True:
        started = time.monotonic()
        with urllib.request.urlopen(side, timeout=5) as response:
            snap = json.loads(response.read())
        answered_in_s = time.monotonic() - started
        # The app's loop is frozen for 1.5 s; the side channel must not wait for it (1 s margin).
        assert answered_in_s < 1.0
        if snap["current_stall_ms"] >= 200 or time.monotonic() > deadline:
            break
    blocker.join()
    assert snap["current_stall_ms"] >= 200, snap
