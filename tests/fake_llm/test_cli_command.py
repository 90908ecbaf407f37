"""`awaitbench fake-llm` as a user runs it: one-line errors with exit code 2, presets, TLS."""

from __future__ import annotations

import os
import ssl
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import openai
import pytest

from bench.processes import ManagedProcess, ProcessSpec, awaitbench_argv, free_port


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        awaitbench_argv("fake-llm", *args),
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.parametrize(
    ("args", "env", "needle"),
    [
        (("--ttft-ms", "soon"), {}, "--ttft-ms (flag) must be a number"),
        (("--preset", "warp"), {}, "unknown preset 'warp'"),
        (("--queue-limit", "-5"), {}, "--queue-limit must be >= -1"),
        (("--config", "/nonexistent.toml"), {}, "no such file"),
        ((), {"AWAITBENCH_FAKE_LLM_RPM": "lots"}, "--rpm (env) must be a whole number"),
        (("--no-such-flag",), {}, "unrecognized arguments"),
    ],
)
def test_bad_settings_exit_2_with_one_line(args: tuple[str, ...], env: dict[str, str], needle: str) -> None:
    result = _run(*args, env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert needle in lines[0]


def test_list_presets() -> None:
    result = _run("--list-presets")
    assert result.returncode == 0
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert {"instant", "fast", "chat", "slow"} <= set(names)


def test_busy_port_is_a_one_line_error(start_fake_llm: Callable[..., str]) -> None:
    base = start_fake_llm(preset="instant")
    result = _run("--port", base.rsplit(":", 1)[1])
    assert result.returncode == 1
    assert "cannot listen on" in result.stderr and len(result.stderr.strip().splitlines()) == 1


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
    assert raw.parse().usage.completion_tokens == 4  # type: ignore[union-attr]


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
            httpx.Client(verify=context) as http,
            openai.OpenAI(base_url=f"https://127.0.0.1:{port}/v1", api_key="k", http_client=http) as client,
        ):
            reply = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
        assert reply.choices[0].message.content
        with pytest.raises(httpx.ConnectError):  # the system trust store does not know this CA
            httpx.get(f"https://127.0.0.1:{port}/health")
