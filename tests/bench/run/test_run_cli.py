"""`awaitbench run` through the real CLI: real fake_llm, real variant apps, real Locust subprocesses.

Tiny configuration (one scenario pair, 2 s windows) so the file stays well under a minute. Assertions
are about direction with wide margins (the machine is shared and noisy), never about speed targets.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from awaitbench.cli import main
from bench.results import LatencySummary, PointRecord, ServerFigures, UpstreamFigures, load_run
from bench.run.point import RUN_DIR_ENV
from tests.bench.results.schema_check import validate_run_dir
from tests.bench.run.run_processes import listening_ports, run_processes
from tests.in_process_cli import call_main
from tests.interrupts import default_sigint
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[3]
PAIR = ["sync_client:sync_in_async", "sync_client:async_client"]
TINY = ["--duration", "2", "--warmup", "1"]


def _awaitbench(*args: str) -> list[str]:
    return [sys.executable, "-m", "bench", *args]


def _measured(point: PointRecord) -> tuple[LatencySummary, ServerFigures, UpstreamFigures]:
    """A successful point's latency, server and upstream figures (each must be there)."""
    assert point.status == "ok", point.error
    assert point.latency is not None and point.server is not None and point.upstream is not None
    assert point.upstream.requests > 0
    return point.latency, point.server, point.upstream


def _timed(point: PointRecord) -> tuple[LatencySummary, LatencySummary]:
    """A successful streamed point's time to first byte and latency (each must be there)."""
    assert point.status == "ok", point.error
    assert point.ttfb is not None and point.latency is not None
    # Every successful streamed request issued in the window and answered in it has both times.
    assert point.ttfb.count == point.latency.count - point.latency.censored
    return point.ttfb, point.latency


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_run_pair_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "run"
    summary_file = tmp_path / "summary.json"
    result = subprocess.run(
        _awaitbench(
            "run", *PAIR, "--users", "20", *TINY, "--out", str(out), "--summary-json", str(summary_file)
        ),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert validate_run_dir(out) == 2
    run = load_run(out)
    assert run.manifest.status == "complete"
    assert run.missing_points == ()
    assert run.manifest.machine["cpu_count"] >= 1
    info = run.scenario("sync_client")
    assert any("async def" in v.code for v in info.variants)  # the source is there for the report

    bad, good = (run.points_for("sync_client", v)[0] for v in ("sync_in_async", "async_client"))
    (bad_latency, bad_server, bad_upstream), (good_latency, _, good_upstream) = map(_measured, (bad, good))
    for point in (bad, good):
        assert point.theory is not None and point.theory.littles_law_bound_rps == pytest.approx(200.0)
    # Direction, with margins far wider than noise: theory says 10 req/s vs 200 req/s at 20 users.
    assert good.throughput_rps > 3 * bad.throughput_rps
    assert bad_latency.p99_ms > good_latency.p99_ms
    # The blocked loop shows in the probe and upstream sees one call at a time.
    assert bad_server.loop_lag_max_ms is not None and bad_server.loop_lag_max_ms > 50
    assert bad_upstream.peak_concurrency <= 2
    assert good_upstream.peak_concurrency > 5

    summary = json.loads(summary_file.read_text())
    assert set(summary) == {"sync_client"}
    assert set(summary["sync_client"]) == {"sync_in_async", "async_client", "headline"}
    headline = summary["sync_client"].pop("headline")
    assert (headline["metric"], headline["users"], headline["better"]) == ("throughput_rps", 20, "higher")
    assert headline["text"].endswith("fewer req/s")  # theory: 10 vs 200 req/s at 20 users
    for figures in summary["sync_client"].values():
        for key in (
            "throughput_rps",
            "p50_ms",
            "p99_ms",
            "loop_lag_p99_ms",
            "cpu_ms_per_request",
            "upstream_connections_per_request",
            "valid",
        ):
            assert key in figures
    assert "pitfall vs fix" in result.stdout
    assert run_processes(out) == []


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_hung_requests_count_as_unanswered_and_never_hide_in_the_p99(tmp_path: Path) -> None:
    """The issue's own case: 10 % of the upstream calls hang for 600 s without a deadline."""
    out = tmp_path / "run"
    summary_file = tmp_path / "s.json"
    result = subprocess.run(
        _awaitbench(
            "run", "timeouts", "--users", "10", "--out", str(out), "--summary-json", str(summary_file)
        ),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert validate_run_dir(out) == 2
    summary = json.loads(summary_file.read_text())["timeouts"]
    pitfall, fix = summary["no_timeout"], summary["with_timeout"]
    # ~70 requests issued in the 3 s window, each hanging with probability 0.1: P(none hangs) ~ 1e-3.
    assert pitfall["unanswered"] > 0
    assert pitfall["p99_ms"] >= fix["p99_ms"] or pitfall["p99_is_lower_bound"]
    assert fix["unanswered"] == 0  # a deadline answers every hung call with a 504
    headline = summary["headline"]
    assert (headline["metric"], headline["users"], headline["outcome"]) == (
        "unanswered_share",
        10,
        "pitfall worse",
    )
    assert headline["text"].endswith("of requests never answer")
    run = load_run(out)
    (no_timeout,) = run.points_for("timeouts", "no_timeout")
    assert not no_timeout.steady  # users pile up on hung calls: no steady state within seconds
    assert "unsteady" in result.stdout


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_streamed_scenario_records_time_to_first_byte(tmp_path: Path) -> None:
    out = tmp_path / "run"
    summary_file = tmp_path / "summary.json"
    result = subprocess.run(
        _awaitbench(
            "run", "streaming", "--users", "5", *TINY, "--out", str(out), "--summary-json", str(summary_file)
        ),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert validate_run_dir(out) == 2
    run = load_run(out)
    buffered, streamed = (run.points_for("streaming", v)[0] for v in ("buffered", "streamed"))
    (buffered_ttfb, buffered_latency), (streamed_ttfb, streamed_latency) = map(_timed, (buffered, streamed))
    # Upstream: TTFT 100 ms then 20 tokens x 20 ms = 500 ms in total. Buffered sends its first byte with
    # the last token; streamed after ~TTFT. Margins far wider than noise: 0.9x and 0.6x of total.
    assert buffered_ttfb.p50_ms > 0.9 * buffered_latency.p50_ms
    assert streamed_ttfb.p50_ms < 0.6 * streamed_latency.p50_ms
    assert streamed_ttfb.p50_ms < 0.6 * buffered_ttfb.p50_ms
    # Total time is not what streaming changes: both near 500 ms (the upstream's generation time).
    assert 0.5 < streamed_latency.p50_ms / buffered_latency.p50_ms < 2.0
    summary = json.loads(summary_file.read_text())
    assert summary["streaming"]["streamed"]["ttfb_p50_ms"] == streamed_ttfb.p50_ms
    assert "ttfb_p99_ms" in summary["streaming"]["buffered"]


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_open_loop_pair_end_to_end(tmp_path: Path) -> None:
    """The issue's first check, shortened: beyond its capacity (1 / L = 10 req/s) the blocked loop's p99
    grows into seconds or rests on unanswered requests, while the awaited client stays near L."""
    out = tmp_path / "run"
    summary_file = tmp_path / "s.json"
    args = ("run", *PAIR, "--arrival", "poisson", "--rate", "5,30", *TINY, "--out", str(out))
    result = subprocess.run(
        _awaitbench(*args, "--summary-json", str(summary_file)),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert validate_run_dir(out) == 4
    summary = json.loads(summary_file.read_text())["sync_client"]
    assert set(summary) == {"sync_in_async", "async_client"}
    assert set(summary["sync_in_async"]) == {"5", "30"}
    pitfall, fix = summary["sync_in_async"]["30"], summary["async_client"]["30"]
    for figures in (pitfall, fix):
        assert figures["offered_rps"] == 30.0 and figures["dropped"] == 0
        assert figures["schedule_lag_p99_ms"] is not None
    assert pitfall["theory_capacity_rps"] == 10.0 and fix["theory_capacity_rps"] is None
    # Margins far wider than noise: theory serves 10 of 30 req/s with a queue growing by 20 per second
    # (a second of it already waits ~2 s), against every request in ~100 ms.
    assert pitfall["throughput_rps"] < 20 < fix["throughput_rps"]
    assert pitfall["p99_ms"] > 1000 or pitfall["p99_is_lower_bound"]
    assert fix["p99_ms"] < 600 and not fix["p99_is_lower_bound"]
    assert "open loop: every variant at each offered rate" in result.stdout
    assert run_processes(out) == []


@pytest.mark.slow
@pytest.mark.perf
@pytest.mark.timeout(180)
def test_capacity_search_end_to_end(tmp_path: Path) -> None:
    """The issue's second check on the pitfall alone: its capacity at p99 <= 500 ms is near 1 / L."""
    out = tmp_path / "run"
    summary_file = tmp_path / "s.json"
    args = ("run", "sync_client:sync_in_async", "--find-capacity", "--slo-p99-ms", "500", *TINY)
    result = subprocess.run(
        _awaitbench(*args, "--out", str(out), "--summary-json", str(summary_file)),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=170,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(summary_file.read_text())["sync_client"]["sync_in_async"]
    assert (found["slo_p99_ms"], found["theory_capacity_rps"]) == (500.0, 10.0)
    assert 1 <= found["points"] <= 5
    # Theory: 10 req/s. Wide margins for a shared machine, the search's 15 % bracket and a 3 s run.
    assert found["capacity_rps"] is not None and 4 <= found["capacity_rps"] <= 16, result.stdout[-2000:]
    run = load_run(out)
    (result_record,) = run.manifest.capacity
    assert {step.point_id for step in result_record.steps} == {p.id for p in run.points}
    assert set(run.manifest.planned_points) == {p.id for p in run.points} and run.missing_points == ()
    assert "capacity at the SLO" in result.stdout and "search" in result.stderr


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_interrupted_run_leaves_partial_results_and_no_orphans(tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = subprocess.Popen(
        _awaitbench("run", *PAIR, "--users", "5,10", *TINY, "--out", str(out)),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_sigint,  # the test sends Ctrl-C: make sure the child can receive it
    )
    try:

        def first_point_written() -> bool:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            return bool(list((out / "points").glob("*.json")))

        wait_until(first_point_written, 60.0, "the first point's results file")
        # Inside the second point once its fake LLM and app listen (Locust starts with them).
        ports = wait_until(
            lambda: listening_ports(run_processes(out)),
            30.0,
            "the second point's fake LLM and app to listen",
            ready=lambda ports: len(ports) >= 2,
        )
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr
    run = load_run(out)
    assert run.manifest.status == "interrupted"
    assert len(run.points) >= 1 and run.missing_points
    validate_run_dir(out)
    assert run_processes(out) == []
    for port in ports:  # nothing listens any more where the children did
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still held"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "unknown scenario 'nope'"),
        (["sync_client:nope"], "no variant 'nope'"),
        (["sync_client", "--users", "1,x"], "--users"),
        (["sync_client", "--users", "10", "--reference-users", "50"], "--reference-users"),
        (["sync_client", "--out", "/dev/null/results"], "not writable"),
        (["sync_client", "--duration", "0"], "--duration"),
        (["sync_client", "--preset", "nope"], "unknown preset 'nope'"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    if "--out" not in args:
        args = [*args, "--out", str(tmp_path / "out")]
    before = set(psutil.Process().children())  # a session's fixtures (PostgreSQL) may run already
    result = call_main(main, ["run", *args])
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert not (tmp_path / "out" / "manifest.json").exists()  # nothing started
    assert set(psutil.Process().children()) <= before
    assert os.environ.get(RUN_DIR_ENV) is None
