"""`awaitbench perf fake-llm` as a user runs it: a real (tiny) run end to end, bad input, Ctrl-C.

The run is cut to one short step per (server, mode) and a wide error budget, so it checks the plumbing and
the output, not the machine: the targets are `make perf`'s business (the regression guard, a generous
margin on the same measurement, is `tests/bench/selfperf/test_cost_guard.py`).
"""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import psutil
import pytest

from awaitbench.cli import main
from bench.processes import awaitbench_argv, wait_port_free
from tests.in_process_cli import call_main
from tests.interrupts import default_sigint
from tests.waiting import wait_until

_TINY = (
    "--quick",
    "--max-steps",
    "1",
    "--retries",
    "1",  # one second chance: on a loaded CI machine a single scheduling hiccup can exceed any budget
    "--warmup-s",
    "0.2",
    "--measure-s",
    "0.5",
    "--start-rps",
    "100",
    "--error-budget-ms",
    "1000",  # a plumbing check: only a broken server fails it (seen: 120 ms hiccups of the ceiling itself)
    "--sched",
    "normal",  # real-time scheduling would steal a core from whatever else runs the test suite
    "--little-connections",
    "4",
    "--saturation-connections",
    "8",
)


def _alive(pids: list[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.append(pid)
        except psutil.NoSuchProcess:
            pass
    return alive


@pytest.mark.slow
def test_tiny_run_measures_both_servers_in_both_modes(tmp_path: Path) -> None:
    out = tmp_path / "perf.json"
    logs = tmp_path / "logs"
    result = subprocess.run(
        awaitbench_argv("perf", "fake-llm", *_TINY, "--json", str(out), "--logs", str(logs)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Max sustained requests/s" in result.stdout
    assert "fake_llm / raw-ASGI ceiling" in result.stdout
    assert "sustained" in result.stderr  # progress lines, one per step

    document = json.loads(out.read_text())
    assert document["schema"] == "awaitbench.perf"
    assert document["version"] == 3
    assert document["machine"]["cpu_count"] >= 2
    assert document["sched"] == "normal"
    measured = {(r["server"], r["mode"]) for r in document["results"]}
    assert measured == {(s, m) for s in ("ceiling", "fake_llm") for m in ("non-streaming", "streaming")}
    for record in document["results"]:
        assert len(record["steps"]) == 1
        step = record["steps"][0]
        assert step["rate_rps"] == 100
        assert step["sent"] > 0
        assert step["error_samples"] > 0
        assert step["server_cpu_us_per_request"] is None or step["server_cpu_us_per_request"] > 0
        assert step["verdict"] in ("sustained", "failed", "invalid")
        # Nothing may still hold a step's port once the run is over.
        assert wait_port_free(step["server_port"], timeout_s=5)
    for ratio in document["ratios"]:
        assert ratio["ratio"] is not None and ratio["ratio"] > 0, ratio
        assert ratio["mode"] in ("non-streaming", "streaming")
    points = document["little_bound"]["ratios"]
    assert {p["mode"] for p in points} == {"non-streaming", "streaming"}
    for point in points:
        assert point["fake_llm_rps"] > 0 and point["ceiling_rps"] > 0 and point["ratio"] > 0, point
    assert "Little bound" in result.stdout
    # 8 connections cannot saturate a server: one round per mode, measured, and judged invalid.
    saturation = document["saturation"]
    assert [(s["mode"], s["rounds"], s["conclusive"]) for s in saturation["summaries"]] == [
        ("non-streaming", 1, False),
        ("streaming", 1, False),
    ]
    for verdict in saturation["verdicts"]:
        # A few idle connections may use less CPU than the clock's 10 ms tick can show: measured, maybe 0.
        assert verdict["ceiling_us_per_request"] >= 0 and verdict["fake_llm_us_per_request"] >= 0, verdict
        assert "of its core" in "; ".join(verdict["problems"])
    assert "inconclusive" in result.stdout
    leftovers = [
        p.pid for p in psutil.process_iter(["cmdline"]) if str(logs) in " ".join(p.info["cmdline"] or [])
    ]
    assert _alive(leftovers) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--modes", "sideways"), "--modes takes a comma-separated list"),
        (("--servers", "nginx"), "--servers takes a comma-separated list"),
        (("--server-cpu", "1", "--loadgen-cpu", "1"), "must differ"),
        (("--ttft-ms", "-5"), "--ttft-ms must be > 0"),
        (("--sched", "turbo"), "invalid choice"),
    ],
)
def test_bad_input_is_a_one_line_usage_error(args: tuple[str, ...], message: str) -> None:
    result = call_main(main, ["perf", "fake-llm", *args])
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stderr.count("\n") == 1


def test_perf_without_a_target_is_a_usage_error() -> None:
    result = call_main(main, ["perf"])
    assert result.returncode == 2


@pytest.mark.slow
def test_interrupt_leaves_no_process_behind(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    proc = subprocess.Popen(
        awaitbench_argv("perf", "fake-llm", *_TINY, "--measure-s", "5", "--logs", str(logs)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_sigint,  # the test sends Ctrl-C: make sure the child can receive it
    )
    try:
        children = wait_until(
            lambda: [c.pid for c in psutil.Process(proc.pid).children(recursive=True)],
            60.0,
            "a server and the generator to run",
            ready=lambda pids: len(pids) >= 2 and bool(list(logs.glob("*-gen.log"))),
        )
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr
    wait_until(lambda: _alive(children), 5.0, "every child to exit", ready=lambda alive: alive == [])
