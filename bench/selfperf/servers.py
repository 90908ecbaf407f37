"""How each server under test is started: same latency settings, same core, a fresh process per step.

fake_llm is started through its real CLI (`python -m fake_llm`, built by `fake_llm.launch`), exactly as the
bench and the tests start it; the ceiling through `python -m bench.selfperf.ceiling_app`, which takes the
same latency flags (fake_llm's own definitions) and runs uvicorn with the settings fake_llm's CLI uses
(uvloop, httptools, one process, no access log).
"""

from __future__ import annotations

import sys
from pathlib import Path

from bench.processes import ProcessSpec, resolve_sched, scheduled
from bench.selfperf.config import Mode, PerfConfig, ServerKind
from fake_llm.launch import fake_llm_argv, setting_args

# `resolve_sched` and `scheduled` live in `bench.processes` (the open-loop generator of `awaitbench run`
# uses them too); re-exported here for the callers that know them from this module.
__all__ = ["CHAT_PATH", "resolve_sched", "scheduled", "server_spec"]

CHAT_PATH = "/v1/chat/completions"


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
