"""The fake LLM's command line as a user runs it, standalone (`python -m fake_llm`) and mounted in the
awaitbench CLI (`awaitbench fake-llm`): the same flags, one-line errors with the same exit codes, presets,
serving, TLS. Serving runs real processes; flags and errors call each command's `main(argv)` in process."""

from __future__ import annotations

import os
import socket
import ssl
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import openai
import pytest

from awaitbench.cli import main as awaitbench_main
from bench.processes import ManagedProcess, ProcessSpec, awaitbench_argv, free_port
from fake_llm.cli import main as fake_llm_main
from fake_llm.settings import SETTINGS
from tests.in_process_cli import CliResult, call_main

COMMANDS = ("python -m fake_llm", "awaitbench fake-llm")


def _run(*args: str, env: dict[str, str] | None = None, command: str = COMMANDS[0]) -> CliResult:
    """The command's `main(argv)` in process (each command's real process is tested below), with `env`
    added to the environment for the call."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {"COLUMNS": "100", **(env or {})}.items():
            patch.setenv(name, value)
        if command == "python -m fake_llm":
            return call_main(fake_llm_main, args)
        return call_main(awaitbench_main, ["fake-llm", *args])


def test_help_shows_every_setting_and_both_commands_have_the_same_options() -> None:
    helps = {command: _run("--help", command=command) for command in COMMANDS}
    for command, result in helps.items():
        assert result.returncode == 0, (command, result.stderr)
        for setting in SETTINGS.values():
            assert setting.flag in result.stdout, (command, setting.flag)
    standalone, mounted = (helps[c].stdout.split("options:", 1)[1] for c in COMMANDS)
    assert standalone == mounted  # one definition of the flags, mounted twice


def test_standalone_serves_health_and_stops_cleanly(
    start_process: Callable[[ProcessSpec], ManagedProcess],
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_process(
        ProcessSpec(
            name="fake_llm",
            argv=[sys.executable, "-m", "fake_llm", "--port", str(port)],
            ready_url=f"{base}/health",
        )
    )
    assert httpx.get(f"{base}/health").json() == {"status": "ok"}
    assert [m["id"] for m in httpx.get(f"{base}/v1/models").json()["data"]] == ["fake-chat", "fake-embedding"]
    assert proc.stop() == 0
    assert proc.log_path is not None
    log = proc.log_path.read_text()
    assert f"fake-llm: serving on http://127.0.0.1:{port}/v1" in log and "fake-llm: stopped" in log


@pytest.mark.parametrize(
    ("args", "env", "needle"),
    [
        (("--ttft-ms", "soon"), {}, "--ttft-ms (flag) must be a number"),
        (("--preset", "warp"), {}, "unknown preset 'warp'"),
        (("--queue-limit", "-5"), {}, "--queue-limit must be >= -1"),
        (("--config", "/nonexistent.toml"), {}, "no such file"),
        ((), {"AWAITBENCH_FAKE_LLM_RPM": "lots"}, "--rpm (env) must be a whole number"),
        (("--no-such-flag",), {}, "unrecognized arguments"),
        (("--ttft-ms", "nan"), {}, "--ttft-ms must be a finite number, not nan"),
        (("--header-timeout-s=inf",), {}, "--header-timeout-s must be a finite number, not inf"),
        ((), {"AWAITBENCH_FAKE_LLM_TRICKLE_MS": "-inf"}, "--trickle-ms must be a finite number"),
        (("--max-tokens", "5"), {}, "unrecognized arguments"),
        (("--max-output-tokens", "0"), {}, "--max-output-tokens must be >= 1"),
    ],
)
@pytest.mark.parametrize("command", COMMANDS)
def test_bad_settings_exit_2_with_one_line(
    command: str, args: tuple[str, ...], env: dict[str, str], needle: str
) -> None:
    result = _run(*args, env=env, command=command)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert needle in lines[0]


@pytest.mark.parametrize("command", COMMANDS)
def test_list_presets(command: str) -> None:
    result = _run("--list-presets", command=command)
    assert result.returncode == 0
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert {"instant", "fast", "chat", "slow"} <= set(names)


@pytest.mark.parametrize("command", COMMANDS)
def test_busy_port_or_foreign_host_is_a_one_line_error_exit_2(command: str) -> None:
    # Environment errors are usage errors (exit 2) in every awaitbench command (docs/contracts.md).
    with socket.create_server(("127.0.0.1", 0)) as taken:  # a listening socket holds the port
        port = str(taken.getsockname()[1])
        for args, needle in (
            (("--port", port), "the port is taken"),
            (("--host", "192.0.2.1", "--port", "8000"), "--host must be an address of this machine"),
            (("--host", "192.0.2.1", "--port", "0"), "--host must be an address of this machine"),
            (("--host", "a" * 300, "--port", "8000"), "--host"),
        ):
            result = _run(*args, command=command)
            assert result.returncode == 2, (args, result.stderr)
            assert "Traceback" not in result.stderr
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and "cannot listen on" in lines[0] and needle in lines[0], (args, lines)


def _tls_dirs(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Unusable --tls-dir values by name: (path, what the message must say)."""
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    read_only = tmp_path / "read-only"
    read_only.mkdir(mode=0o555)
    cases = {
        "missing parent": (tmp_path / "missing" / "tls", "No such file or directory"),
        "a file": (a_file, "File exists"),
        "under a file": (a_file / "tls", "Not a directory"),
        "read-only": (read_only, "Permission denied"),
        "forbidden (sysfs)": (Path("/sys/kernel"), "Permission denied"),
    }
    if os.geteuid() == 0:
        del cases["read-only"]  # root writes anyway; the sysfs case still checks the refusal path
    if not Path("/sys/kernel").is_dir():
        del cases["forbidden (sysfs)"]
    return cases


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unusable_tls_dir_is_a_one_line_error_exit_2(command: str, tmp_path: Path) -> None:
    for name, (directory, reason) in _tls_dirs(tmp_path).items():
        result = _run("--tls", "--tls-dir", str(directory), "--port", str(free_port()), command=command)
        assert result.returncode == 2, (name, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in result.stderr, (name, result.stderr)
        assert f"--tls-dir {directory}: cannot write the TLS files there" in lines[0], (name, lines)
        assert reason in lines[0], (name, lines)


def test_config_file_and_preset_through_the_cli(
    start_process: Callable[[ProcessSpec], ManagedProcess], tmp_path: Path
) -> None:
    config = tmp_path / "fake.toml"
    config.write_text('preset = "instant"\n[latency]\nttft_ms = 120\n')
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    argv = awaitbench_argv("fake-llm", "--port", str(port), "--config", str(config), "--output-tokens", "4")
    start_process(ProcessSpec(name="fake_llm", argv=argv, ready_url=f"{base}/health"))
    with openai.OpenAI(base_url=f"{base}/v1", api_key="k") as client:
        raw = client.chat.completions.with_raw_response.create(
            model="m", messages=[{"role": "user", "content": "x"}]
        )
    assert float(raw.headers["x-fake-intended-ms"]) == pytest.approx(120, abs=1)
    usage = raw.parse().usage
    assert usage is not None and usage.completion_tokens == 4


def test_tls_serves_https_trusted_through_the_generated_ca(tmp_path: Path) -> None:
    port = free_port()
    argv = awaitbench_argv(
        "fake-llm", "--port", str(port), "--preset", "instant", "--tls", "--tls-dir", str(tmp_path)
    )
    with ManagedProcess(ProcessSpec(name="fake_llm_tls", argv=argv)) as proc:
        ca = tmp_path / "ca.pem"
        deadline = time.monotonic() + 20
        while True:
            try:
                context = ssl.create_default_context(cafile=str(ca))
                httpx.get(f"https://127.0.0.1:{port}/health", verify=context).raise_for_status()
                break
            except (OSError, ssl.SSLError, httpx.HTTPError):
                if time.monotonic() > deadline or proc.returncode is not None:
                    raise
                time.sleep(0.1)
        with (
            openai.DefaultHttpxClient(verify=context) as http,
            openai.OpenAI(base_url=f"https://127.0.0.1:{port}/v1", api_key="k", http_client=http) as client,
        ):
            reply = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
        assert reply.choices[0].message.content
        with pytest.raises(httpx.ConnectError):  # the system trust store does not know this CA
            httpx.get(f"https://127.0.0.1:{port}/health")
