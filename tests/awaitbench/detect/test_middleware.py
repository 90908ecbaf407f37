"""LoopWatchMiddleware on an app served by real uvicorn, with a real fake_llm behind a sync SDK route.

What a user sees: one structured log line per block (route, file:line, running/parked) on the server's
stderr, and the metrics on the app's own `/metrics`. Timing margins: blocks of 150 ms against a 50 ms
threshold, so a loaded machine cannot push them under it; the CPU block is 400 ms of CPU time, because
the monitor must take the GIL from the busy loop thread to post its canary, and on an oversubscribed
2-core machine (the full suite) that hand-off alone once took over 100 ms of a 150 ms block.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from awaitbench.detect.middleware import LoopWatchMiddleware
from awaitbench.detect.watchdog import WatchConfig, WatchConfigError
from bench.processes import ManagedProcess, ProcessSpec, free_port
from tests.awaitbench.detect.watch_app import line_of

_FIELD = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)')
CLEAN_ROUTE = "GET /clean/{item_id}"


def block_lines(log: Path) -> list[dict[str, str]]:
    """The `loop_block` lines of the server log, as fields."""
    parsed = []
    for line in log.read_text().splitlines():
        if line.startswith("loop_block "):
            fields = {k: json.loads(v) if v.startswith('"') else v for k, v in _FIELD.findall(line)}
            parsed.append(fields)
    return parsed


def block_counts(base: str) -> dict[tuple[str, str, str], float]:
    """`awaitbench_loop_blocks_total` by (location, route, state), from the app's /metrics."""
    with urllib.request.urlopen(f"{base}/metrics/", timeout=10) as response:
        text = response.read().decode()
    return {
        (s.labels["location"], s.labels["route"], s.labels["state"]): s.value
        for family in text_string_to_metric_families(text)
        if family.name == "awaitbench_loop_blocks"
        for s in family.samples
        if s.name == "awaitbench_loop_blocks_total"
    }


def gauge(base: str, name: str) -> float | None:
    with urllib.request.urlopen(f"{base}/metrics/", timeout=10) as response:
        text = response.read().decode()
    values = [s.value for f in text_string_to_metric_families(text) for s in f.samples if s.name == name]
    return values[0] if values else None


@pytest.fixture
def served_app(
    tmp_path: Path,
    start_fake_llm: Callable[..., str],
    start_process: Callable[[ProcessSpec], ManagedProcess],
) -> Iterator[tuple[str, Path]]:
    upstream = start_fake_llm(preset="instant", ttft_ms=150.0)
    port = free_port()
    log = tmp_path / "app.log"
    start_process(
        ProcessSpec(
            name="watch_app",
            argv=[
                *(sys.executable, "-m", "uvicorn", "--factory", "tests.awaitbench.detect.watch_app:make_app"),
                *("--port", str(port), "--log-level", "warning", "--loop", "uvloop"),
            ],
            env={"OPENAI_BASE_URL": upstream, "PYTHONUNBUFFERED": "1"},
            ready_url=f"http://127.0.0.1:{port}/health",
            log_path=log,
        )
    )
    yield f"http://127.0.0.1:{port}", log


def _wait_for(
    predicate: Callable[[], bool], what: str, timeout_s: float = 15.0, log: Path | None = None
) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        seen = log.read_text()[-3000:] if log is not None else ""
        assert time.monotonic() < deadline, f"timed out waiting for {what}; the server log ends:\n{seen}"
        time.sleep(0.05)


def test_blocking_routes_are_logged_and_counted_with_route_and_line(served_app: tuple[str, Path]) -> None:
    base, log = served_app
    with httpx.Client(base_url=base, timeout=30) as client:
        for path, params in (("/sleep", {}), ("/cpu", {"ms": 400}), ("/sdk", {})):
            assert client.post(path, params=params).status_code == 200, path
    expected = {
        "POST /sleep": (line_of("SLEEP"), "parked"),
        "POST /cpu": (line_of("CPU"), "running"),
        "POST /sdk": (line_of("SDK"), "parked"),
    }
    routes_logged = lambda: {line.get("route") for line in block_lines(log)} >= set(expected)  # noqa: E731
    _wait_for(routes_logged, "three log lines", log=log)
    lines = block_lines(log)
    for route, (line_no, state) in expected.items():
        at_line = [fields for fields in lines if fields["at"].endswith(f"watch_app.py:{line_no}")]
        assert [(fields["route"], fields["state"]) for fields in at_line] == [(route, state)], lines
        assert float(at_line[0]["duration_ms"]) >= 50.0
        assert (f"{at_line[0]['at']} {at_line[0]['function']}", route, state) in block_counts(base)


def test_repeated_blocks_log_one_line_but_count_every_block(served_app: tuple[str, Path]) -> None:
    base, log = served_app
    with httpx.Client(base_url=base, timeout=30) as client:
        for _ in range(5):
            assert client.post("/sleep", params={"ms": 80}).status_code == 200
    key = (f"tests/awaitbench/detect/watch_app.py:{line_of('SLEEP')} blocking_sleep", "POST /sleep", "parked")
    _wait_for(lambda: block_counts(base).get(key) == 5.0, "five counted blocks")
    # Rate-limited: 10 s per location. A loaded machine can stall the whole process elsewhere (logged at
    # `<not sampled>` or a library line, with no route): real, but not this route's, so not counted here.
    in_app = [line for line in block_lines(log) if "watch_app.py" in line["at"]]
    assert [line.get("route") for line in in_app] == ["POST /sleep"], log.read_text()


@pytest.mark.perf
def test_clean_route_under_load_reports_nothing(served_app: tuple[str, Path]) -> None:
    base, log = served_app

    async def load() -> None:
        limits = httpx.Limits(max_connections=20)
        async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
            for start in range(0, 1000, 100):
                replies = await asyncio.gather(
                    *(client.get(f"/clean/{i}") for i in range(start, start + 100))
                )
                assert all(reply.status_code == 200 for reply in replies)

    asyncio.run(load())
    # A clean route never parks the loop nor blocks it in the app's code. (If the whole machine starves
    # the server of CPU for 50 ms, the watchdog rightly reports that stall, in library code: allowed.)
    for line in block_lines(log):
        assert not (line.get("route") == CLEAN_ROUTE and "watch_app.py" in line["at"]), line
        assert not (line.get("route") == CLEAN_ROUTE and line["state"] == "parked"), line
    parked = [key for key in block_counts(base) if key[1] == CLEAN_ROUTE and key[2] == "parked"]
    assert parked == []


def test_threadpool_gauge_reaches_40_under_a_burst_of_def_routes(served_app: tuple[str, Path]) -> None:
    base, _ = served_app

    def burst() -> None:
        async def calls() -> None:
            limits = httpx.Limits(max_connections=60)
            async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
                await asyncio.gather(*(client.post("/threads", params={"ms": 1500}) for _ in range(60)))

        asyncio.run(calls())

    sender = threading.Thread(target=burst)
    sender.start()
    try:
        _wait_for(lambda: gauge(base, "awaitbench_threadpool_tokens_in_use") == 40.0, "40 tokens in use")
        assert gauge(base, "awaitbench_threadpool_tokens_total") == 40.0
    finally:
        sender.join()


def test_invalid_settings_fail_at_construction() -> None:
    async def app(scope: object, receive: object, send: object) -> None:
        raise AssertionError("never called")

    with pytest.raises(WatchConfigError, match="not both"):
        LoopWatchMiddleware(app, threshold_ms=10, watch=WatchConfig())
    with pytest.raises(WatchConfigError, match="loops='current'"):
        LoopWatchMiddleware(app, watch=WatchConfig(loops="all"))
    with pytest.raises(WatchConfigError, match="log_every_s"):
        LoopWatchMiddleware(app, log_every_s=0)
