"""`awaitbench list` and `awaitbench serve` as a user runs them: output, one-line errors, exit codes."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import urllib.request
from pathlib import Path

import psutil
import pytest

from awaitbench.cli import main
from bench.processes import ManagedProcess, ProcessSpec, awaitbench_argv, free_port, wait_port_free
from scenarios import SCENARIO_MODULES
from tests.in_process_cli import CliResult, call_main
from tests.waiting import wait_until


def _run(*args: str, env: dict[str, str] | None = None) -> CliResult:
    """`awaitbench ARGS` in process, with `env` added to the environment for the call."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in (env or {}).items():
            patch.setenv(name, value)
        return call_main(main, args)


def test_list_shows_every_scenario_and_its_pair() -> None:
    # The user's view: `list` as a real process.
    result = subprocess.run(awaitbench_argv("list"), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    for scenario_id in SCENARIO_MODULES:
        assert scenario_id in result.stdout
    assert "sync_in_async → async_client" in result.stdout


def test_list_json_is_the_catalogue() -> None:
    result = _run("list", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [row["id"] for row in rows] == list(SCENARIO_MODULES)
    fan_out = rows[SCENARIO_MODULES.index("fan_out")]
    assert [v["id"] for v in fan_out["variants"]] == ["unbounded", "semaphore"]
    from scenarios.fan_out import UPSTREAM_CAP

    assert fan_out["upstream"]["fake_llm"]["max_concurrency"] == UPSTREAM_CAP  # typed, not a flag string
    assert fan_out["upstream"]["fake_llm"]["ttft_ms"] == fan_out["upstream"]["latency_ms"]
    assert {row["id"] for row in rows if row["database"]} == {"sync_db_driver", "db_session_held"}
    assert fan_out["request"] == {
        "method": "POST",
        "path": "/ask",
        "json_body": {"question": "What is async?"},
        "stream": False,
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("serve", "no_such", "x"), "unknown scenario 'no_such' (scenarios: sync_client, "),
        (
            ("serve", "fan_out", "nope"),
            "scenario 'fan_out' has no variant 'nope' (variants: unbounded, semaphore)",
        ),
        (("serve", "fan_out", "semaphore", "--loop", "trio"), "invalid choice: 'trio'"),
        (("serve", "fan_out", "semaphore", "--port", "70000"), "--port must be between 1 and 65535"),
        (("serve", "fan_out", "semaphore", "--workers", "0"), "--workers must be at least 1"),
    ],
)
def test_serve_usage_errors_are_one_line(args: tuple[str, ...], message: str) -> None:
    result = _run(*args, env={"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"})
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("awaitbench: error:")
    assert message in result.stderr


def test_serve_on_a_taken_port_is_a_one_line_error() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _run(
            "serve",
            "fan_out",
            "semaphore",
            "--port",
            str(port),
            env={"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"},
        )
    assert result.returncode == 2  # the environment's fault, fixed by a flag: a usage error
    assert result.stderr.count("\n") == 1, result.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "--port" in result.stderr


def test_serve_without_an_upstream_says_how_to_set_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    result = _run("serve", "sync_client", "async_client")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "OPENAI_BASE_URL is not set" in result.stderr and "awaitbench fake-llm" in result.stderr


def test_serve_rejects_a_bad_scenario_knob() -> None:
    result = _run(
        "serve",
        "fan_out",
        "semaphore",
        env={"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "AWAITBENCH_FAN_OUT_LIMIT": "zero"},
    )
    assert result.returncode == 2
    assert "AWAITBENCH_FAN_OUT_LIMIT must be a number >= 1, got 'zero'" in result.stderr


def test_serve_with_workers_and_probe_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    spec = ProcessSpec(
        name="serve",
        argv=awaitbench_argv(
            "serve", "sync_client", "async_client", "--port", str(port), "--workers", "2", "--probe"
        ),
        env={"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"},
        ready_url=f"{base}/health",
        log_path=tmp_path / "serve.log",
        ready_timeout_s=60.0,
        # Ctrl-C in a terminal signals the whole process group; SIGTERM is covered by every scenario
        # module's shutdown test.
        stop_signal=signal.SIGINT,
        stop_grace_s=15.0,
    )
    with ManagedProcess(spec) as proc:

        def read_probe() -> dict[str, int]:
            with urllib.request.urlopen(f"{base}/__awaitbench/probe", timeout=10) as response:
                return dict(json.loads(response.read()))

        # The probe's first tick comes ~10 ms after the worker's first ASGI call.
        probe = wait_until(read_probe, 10.0, "the probe's first tick", ready=lambda p: p["samples"] > 0)
        assert probe["threadpool_total"] == 40, probe
        workers = psutil.Process(proc.pid).children(recursive=True)
        assert len([p for p in workers if "python" in p.name()]) >= 2
        assert proc.stop() == 0
    assert wait_port_free(port)
    _, alive = psutil.wait_procs(workers, timeout=5.0)  # workers and multiprocessing's resource tracker
    assert not alive, alive
    log = (tmp_path / "serve.log").read_text()
    assert log.count("Application shutdown complete") == 2, log
