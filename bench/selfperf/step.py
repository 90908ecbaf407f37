"""One measured step of `awaitbench perf`: a fresh server pinned to its core (fake_llm through its real CLI,
or the ceiling, `python -m bench.selfperf.ceiling_app`, with the same latency flags and uvicorn settings),
the project's generator run against it to the end on another core, its figures read back.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from bench.errors import ProcessFailed
from bench.processes import ManagedProcess, ProcessSpec, free_port, resolve_sched, scheduled
from bench.selfperf.config import Mode, PerfConfig, ServerKind
from fake_llm.launch import fake_llm_argv, setting_args

__all__ = ["CHAT_PATH", "run_step", "server_spec"]

CHAT_PATH = "/v1/chat/completions"
_FINISH_MARGIN_S = 30.0  # beyond its warm-up, window and longest answer, the generator's start and exit


def server_spec(
    kind: ServerKind, *, config: PerfConfig, mode: Mode, port: int, log_path: Path | None = None
) -> ProcessSpec:
    """The process to start for `kind`, pinned to `config.server_cpu`, ready when `/health` answers."""
    latency = {
        "ttft_ms": config.ttft_ms,
        "itl_ms": config.itl_ms_for(mode),
        "output_tokens": config.output_tokens,
    }
    if kind == "fake_llm":
        argv = fake_llm_argv(host="127.0.0.1", port=port, settings={**latency, "seed": 1}, origin="perf")
    else:
        place = ["--host", "127.0.0.1", "--port", str(port)]
        argv = [
            sys.executable,
            "-m",
            "bench.selfperf.ceiling_app",
            *place,
            *setting_args(latency, origin="perf"),
        ]
    return ProcessSpec(
        name=f"perf-{kind}",
        argv=scheduled(argv, resolve_sched(config.sched)),
        ready_url=f"http://127.0.0.1:{port}/health",
        ready_timeout_s=30.0,
        log_path=log_path,
        cpu_affinity=[config.server_cpu],
    )


def run_step(
    kind: ServerKind,
    mode: Mode,
    *,
    config: PerfConfig,
    work_dir: Path,
    rate_rps: float = 0.0,
    connections: int = 0,
) -> dict[str, Any]:
    """The generator's figures for one step at `rate_rps` (open loop) or over `connections` (closed loop),
    with the server's port and CPU µs per answered request; logs go to `work_dir`.

    Raises:
        ProcessFailed: the server did not start or died, or the generator failed or did not finish.
    """
    port = free_port()
    load_at = f"c{connections}" if connections else f"{rate_rps:g}"
    stem = work_dir / f"{kind}-{mode}-{load_at}-{time.monotonic_ns()}"
    spec = server_spec(kind, config=config, mode=mode, port=port, log_path=Path(f"{stem}-server.log"))
    out_path = Path(f"{stem}-loadgen.json")
    with ManagedProcess(spec) as server:
        load = config.load_config(
            url=f"http://127.0.0.1:{port}{CHAT_PATH}",
            mode=mode,
            rate_rps=rate_rps,
            connections=connections,
            server_pid=server.pid,
        )
        argv = [sys.executable, "-m", "bench.loadgen.open_loop_main", load.to_json(), str(out_path)]
        generator = ProcessSpec(
            name="perf-loadgen",
            argv=scheduled(argv, resolve_sched(config.sched)),
            log_path=Path(f"{stem}-gen.log"),
            cpu_affinity=[config.loadgen_cpu],
        )
        longest_s = (load.expected.intended_ms(load.expected.output_tokens) / 1000) if load.expected else 0.0
        with ManagedProcess(generator) as gen:
            code = gen.wait(load.warmup_s + load.measure_s + longest_s + _FINISH_MARGIN_S)
        if code != 0 or not out_path.exists():
            raise ProcessFailed(
                f"the load generator exited with code {code}: {gen.log_tail(3)}", stderr_tail=gen.log_tail()
            )
        server.check_alive("during the step")
    figures = dict(json.loads(out_path.read_text()))
    util, achieved = figures.get("server_cpu_util"), figures.get("achieved_rps") or 0.0
    # Server CPU per answered request: steadier than a maximum rate, and it explains the ratio.
    cpu_us = None if util is None or achieved <= 0 else round(float(util) / achieved * 1e6, 1)
    return {
        **figures,
        "server_port": port,
        "server_cpu_us_per_request": cpu_us,
        "load_average_1m": round(os.getloadavg()[0], 2),
        "other_cpu_util": _other_work(figures, config),
    }


def _other_work(figures: dict[str, Any], config: PerfConfig) -> dict[str, float] | None:
    """What other processes took of the server's and the generator's cores during the window (1.0 = a
    core): each core's busy share minus what the process pinned to it used. None without core figures
    (the open-loop step reports none)."""
    busy = figures.get("core_busy")
    if not busy:
        return None
    server = float(figures.get("server_cpu_util") or 0.0)
    loadgen = float(figures["loadgen_cpu_util"])
    return {
        "server_core": round(max(0.0, busy[config.server_cpu] - server), 3),
        "loadgen_core": round(max(0.0, busy[config.loadgen_cpu] - loadgen), 3),
    }
