"""Zero-latency throughput of fake_llm, of the raw-ASGI ceiling and of PyPI's `fakellm` package, under wrk.

    python scripts/fakellm_zero_latency.py --fakellm /tmp/fakellm/bin/fakellm [--rounds 3] [--duration-s 5]

`fakellm` is not a dependency of this project: install it apart, e.g.
`python -m venv /tmp/fakellm && /tmp/fakellm/bin/pip install fakellm==0.3.5`, and pass its `fakellm`
command. Each server in turn (fresh process, pinned to CPU 0, no latency configured: fake_llm's preset
`instant`, the ceiling with `--ttft-ms 0`, fakellm with its default `deterministic_echo` rule) serves
`wrk -t1 -c100` pinned to CPU 1, which POSTs the chat completion `awaitbench perf` sends (non-streaming,
16 tokens); 1 s of warm-up, then `--duration-s` measured. Rounds take turns; the median of each server's
requests/s and fake_llm's ratio over fakellm's are printed. docs/perf.md keeps the measured figures.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.processes import ManagedProcess, ProcessSpec, free_port
from fake_llm.launch import fake_llm_argv

_BODY = {
    "model": "fake-chat",
    "messages": [{"role": "user", "content": "Say something."}],
    "max_tokens": 16,
    "stream": False,
}
_FAKELLM_CONFIG = "version: 1\ndefaults:\n  fallback: deterministic_echo\nrules: []\n"
_SERVERS = ("fake_llm", "ceiling", "fakellm")


def _argv(server: str, port: int, fakellm: str, work: Path) -> list[str]:
    if server == "fake_llm":
        return fake_llm_argv(host="127.0.0.1", port=port, preset="instant", origin="zero-latency")
    if server == "ceiling":
        flags = ["--port", str(port), "--ttft-ms", "0", "--itl-ms", "0", "--output-tokens", "16"]
        return [sys.executable, "-m", "bench.selfperf.ceiling_app", *flags]
    config = work / "fakellm.yaml"
    config.write_text(_FAKELLM_CONFIG)
    return [fakellm, "serve", "--host", "127.0.0.1", "--port", str(port), "--config", str(config)]


def _wrk(port: int, duration_s: float, work: Path) -> float:
    """Requests/s wrk measured (one thread, 100 connections, pinned to CPU 1)."""
    script = work / "post.lua"
    script.write_text(
        'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
        f"wrk.body = {json.dumps(json.dumps(_BODY))}\n"
    )
    url = f"http://127.0.0.1:{port}/v1/chat/completions"
    base = ["taskset", "-c", "1", "wrk", "-t1", "-c100", "--timeout", "10s", "-s", str(script)]
    subprocess.run([*base, "-d1s", url], check=True, capture_output=True)  # warm-up
    out = subprocess.run(
        [*base, f"-d{duration_s:g}s", url], check=True, capture_output=True, text=True
    ).stdout
    if "Non-2xx" in out or "Socket errors" in out:  # a refused or dropped request is not throughput
        raise SystemExit(f"wrk saw errors against port {port}:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if match is None:
        raise SystemExit(f"no Requests/sec in wrk's output:\n{out}")
    return float(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--fakellm", required=True, help="the `fakellm` command (installed apart)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration-s", type=float, default=5.0)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    rps: dict[str, list[float]] = {server: [] for server in _SERVERS}
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        for _ in range(args.rounds):
            for server in _SERVERS:
                port = free_port()
                spec = ProcessSpec(
                    name=server,
                    argv=_argv(server, port, args.fakellm, work),
                    ready_url=f"tcp://127.0.0.1:{port}",
                    cpu_affinity=[0],
                    log_path=work / f"{server}.log",
                )
                with ManagedProcess(spec):
                    rps[server].append(_wrk(port, args.duration_s, work))
                print(f"{server:<9} {rps[server][-1]:>9,.0f} req/s", flush=True)
    medians = {server: statistics.median(values) for server, values in rps.items()}
    for server, values in rps.items():
        print(
            f"{server:<9} median {medians[server]:>9,.0f} req/s  ({', '.join(f'{v:,.0f}' for v in values)})"
        )
    print(f"fake_llm / fakellm: {medians['fake_llm'] / medians['fakellm']:.1f}x; "
          f"fake_llm / ceiling: {medians['fake_llm'] / medians['ceiling']:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
