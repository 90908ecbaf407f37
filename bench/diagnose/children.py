"""The three children of a diagnosis, each a `bench.processes.ManagedProcess`: the fake LLM (restarted per
mode: its fault schedules count from its start, and stopping it cuts any call still hung), the app under
the agent, the load driver.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import psutil

from awaitbench.detect.diagnose.agent import AGENT_SNAPSHOT, AgentSnapshot
from awaitbench.detect.diagnose.deadlines import IN_FLIGHT, InFlightReport
from awaitbench.detect.diagnose.providers import key_variables
from bench.diagnose.config import UPSTREAM_ENV, DiagnoseConfig
from bench.errors import ProcessFailed, UsageError
from bench.loadgen.closed_loop import LoadResult, LoadSpec, ProbeResult, spec_json
from bench.processes import ManagedProcess, ProcessSpec, free_port, free_ports, http_json
from fake_llm.azure import DEFAULT_API_VERSION
from fake_llm.launch import fake_llm_argv
from fake_llm.routes import API_FAMILIES
from fake_llm.snapshot import StatsSnapshot

__all__ = ["AppUnderTest", "CpuReading", "Driver", "Upstream", "UpstreamMode"]

UpstreamMode = Literal["normal", "rate_limited", "hang"]
FAKE_API_KEY = "sk-awaitbench-diagnose"


class Upstream:
    """The fake LLM, on one port for the whole diagnosis, restarted per mode."""

    def __init__(self, config: DiagnoseConfig, *, port: int, log_dir: Path) -> None:
        self.config = config
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.log_dir = log_dir
        self.mode: UpstreamMode | None = None
        self.proc: ManagedProcess | None = None

    def settings(self, mode: UpstreamMode, latency_ms: float | None = None) -> dict[str, object]:
        latency: dict[str, object] = {
            "ttft_ms": float(latency_ms or self.config.upstream_latency_ms),
            "itl_ms": 0.0,
            "output_tokens": 8,
            "keep_alive_s": 600,
            "timeout_graceful_shutdown_s": 0.5,
        }
        if mode == "rate_limited":
            faults = {"fault_kind": "429", "fault_every_k": 1, "retry_after_ms": self.config.retry_after_ms}
            return {**latency, **faults}
        if mode == "hang":
            return {**latency, "fault_kind": "hang", "fault_every_k": 1}
        return latency

    def start(self, mode: UpstreamMode, *, latency_ms: float | None = None) -> Upstream:
        """(Re)start in `mode` (every call taking `latency_ms`, default L); returns once it answers
        /health. The previous process's hung calls are cut."""
        self.launch(mode, latency_ms=latency_ms)
        return self.ready()

    def launch(self, mode: UpstreamMode, *, latency_ms: float | None = None) -> None:
        self.stop()
        self.mode = mode
        settings = self.settings(mode, latency_ms)
        argv = fake_llm_argv(port=self.port, settings=settings, origin="awaitbench diagnose")
        spec = ProcessSpec(
            name="the fake LLM",
            argv=argv,
            ready_url=f"{self.base}/health",
            log_path=self.log_dir / f"fake_llm-{mode}.log",
            stop_signal=signal.SIGKILL,  # nothing to save; hung calls are cut at once
            stop_grace_s=0.5,
        )
        self.proc = ManagedProcess(spec)  # known before it starts: a Ctrl-C in between still stops it
        self.proc.start()

    def ready(self) -> Upstream:
        assert self.proc is not None
        self.proc.wait_ready()
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()
            self.proc = None

    def reset(self) -> None:
        http_json(f"{self.base}/stats/reset", method="POST")

    def stats(self) -> StatsSnapshot:
        return StatsSnapshot.from_json(http_json(f"{self.base}/stats"))


@dataclass(frozen=True, kw_only=True)
class CpuReading:
    """CPU seconds of the app process (all threads and live children) and of its loop thread."""

    process_s: float
    loop_thread_s: float | None


class AppUnderTest:
    """The user's app under `python -m awaitbench.detect.serve`, on a fresh port, pointed at the fake LLM."""

    def __init__(self, config: DiagnoseConfig, *, upstream: Upstream, log_dir: Path) -> None:
        self.config = config
        self.upstream = upstream
        self.port, self.channel_port = free_ports(2)
        self.base = f"http://127.0.0.1:{self.port}"
        self.channel = f"http://127.0.0.1:{self.channel_port}"
        self.log_path = log_dir / "app.log"
        self.proc: ManagedProcess | None = None
        self._ps: psutil.Process | None = None

    def argv(self) -> list[str]:
        c = self.config
        argv = [sys.executable, "-m", "awaitbench.detect.serve", c.app, "--app-dir", str(c.app_dir)]
        argv += ["--port", str(self.port), "--channel-port", str(self.channel_port), "--loop", c.loop]
        argv += ["--block-ms", f"{c.block_ms:g}", "--upstream", f"127.0.0.1:{self.upstream.port}"]
        for host in c.capture_hosts:
            argv += ["--capture-host", host]
        argv += [] if c.capture else ["--no-capture"]
        return argv + (["--factory"] if c.factory else [])

    def env(self) -> dict[str, str]:
        """The app's environment: every SDK's upstream points at the fake LLM (`OpenAI()`, `AzureOpenAI()`,
        `Anthropic()`, `genai.Client()`, `boto3.client("bedrock-runtime")` built from the environment, and
        their async forms, reach it); every provider's API-key variable (`providers`: `GROQ_API_KEY`,
        `AZURE_OPENAI_KEY`, ...) holds a fake key, so no real one reaches the app; keys the user gave are
        kept, and what an SDK cannot start without (an Azure API version, AWS credentials and region) is
        filled in only when neither `--env` nor the shell sets it."""
        user = self.config.env
        env = {
            **{name: FAKE_API_KEY for name in key_variables()},
            **user,
            **{name: self.upstream.base + API_FAMILIES[family] for family, name in UPSTREAM_ENV.items()},
            "OPENAI_API_BASE": f"{self.upstream.base}/v1",  # the pre-1.0 SDK's name for it
            "PYTHONUNBUFFERED": "1",
        }
        given = {name for name, value in {**os.environ, **user}.items() if value}
        if "OPENAI_API_VERSION" not in given:
            env["OPENAI_API_VERSION"] = DEFAULT_API_VERSION  # AzureOpenAI() refuses to start without one
        if not given & {"AWS_ACCESS_KEY_ID", "AWS_PROFILE"}:  # boto3 signs with any key, but needs one
            env |= {"AWS_ACCESS_KEY_ID": FAKE_API_KEY, "AWS_SECRET_ACCESS_KEY": FAKE_API_KEY}
        if not given & {"AWS_REGION", "AWS_DEFAULT_REGION"}:
            env["AWS_DEFAULT_REGION"] = "us-east-1"
        return env

    def launch(self) -> None:
        spec = ProcessSpec(
            name="the app",
            argv=self.argv(),
            env=self.env(),
            ready_url=f"tcp://127.0.0.1:{self.port}",  # uvicorn listens once the lifespan startup is done
            ready_timeout_s=self.config.startup_timeout_s,
            log_path=self.log_path,
            stop_grace_s=3.0,
        )
        self.proc = ManagedProcess(spec)
        self.proc.start()

    def ready(self) -> None:
        """Wait until the app accepts connections.

        Raises:
            UsageError: the import string does not import (awaitbench.detect.serve exits 2; its line is
                quoted).
            ProcessFailed: the app exited or never listened; the message carries its log tail.
        """
        assert self.proc is not None
        try:
            self.proc.wait_ready()
        except ProcessFailed as exc:
            if self.proc.returncode is None:
                raise ProcessFailed(f"{exc} (--startup-timeout-s)", stderr_tail=exc.stderr_tail) from None
            marker = "awaitbench.detect.serve: error:"
            line = next((t for t in reversed(self.proc.log_tail(40).splitlines()) if marker in t), "")
            if self.proc.returncode == 2 and line:
                raise UsageError(line.split(marker, 1)[1].strip()) from None
            raise
        self._ps = psutil.Process(self.proc.pid)

    def check_alive(self) -> None:
        if self.proc is not None:
            self.proc.check_alive("during the diagnosis")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()

    # -- the agent's side channel ------------------------------------------------------------------------
    def reset(self) -> None:
        http_json(f"{self.channel}/reset", method="POST")

    def snapshot(self) -> AgentSnapshot:
        """The agent's evidence.

        Raises:
            ProcessFailed: the agent's loop watch stopped inside the app (the app's log says why).
        """
        snapshot = AGENT_SNAPSHOT.validate_python(http_json(f"{self.channel}/snapshot"))
        if not snapshot.watching and self.proc is not None:
            raise ProcessFailed(
                "the diagnosis agent's loop watch stopped inside the app, so nothing could be measured: "
                "check that awaitbench and its dependencies are installed in the app's environment",
                stderr_tail=self.proc.log_tail(40),
            )
        return snapshot

    def in_flight(self) -> InFlightReport:
        url = f"{self.channel}/inflight?upstream_port={self.upstream.port}"
        return IN_FLIGHT.validate_python(http_json(url, timeout_s=10.0))

    def cpu(self, loop_thread_id: int | None) -> CpuReading:
        ps = self._ps
        if ps is None:
            return CpuReading(process_s=0.0, loop_thread_s=None)
        with contextlib.suppress(psutil.Error):
            times = ps.cpu_times()
            total = times.user + times.system
            for child in ps.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    child_times = child.cpu_times()
                    total += child_times.user + child_times.system
            loop_s = None
            if loop_thread_id is not None:
                loop_s = next(
                    (t.user_time + t.system_time for t in ps.threads() if t.id == loop_thread_id), None
                )
            return CpuReading(process_s=total, loop_thread_s=loop_s)
        return CpuReading(process_s=0.0, loop_thread_s=None)


class Driver:
    """The closed-loop load driver (`bench.loadgen.closed_loop`), one process for the whole diagnosis."""

    def __init__(self, *, log_dir: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        argv = [sys.executable, "-m", "bench.loadgen.closed_loop", "--port", str(self.port)]
        self.proc = ManagedProcess(
            ProcessSpec(
                name="the load driver",
                argv=argv,
                ready_url=f"{self.base}/health",
                log_path=log_dir / "loadgen.log",
                stop_grace_s=1.0,
            )
        )

    def launch(self) -> None:
        self.proc.start()

    def ready(self) -> None:
        self.proc.wait_ready()

    def stop(self) -> None:
        self.proc.stop()

    def load(self, spec: LoadSpec) -> LoadResult:
        budget = spec.duration_s + spec.timeout_s + 10.0
        return LoadResult.from_json(
            http_json(f"{self.base}/phase", method="POST", body=spec_json(spec), timeout_s=budget)
        )

    def probe(self, spec: LoadSpec) -> ProbeResult:
        budget = spec.timeout_s + 10.0
        return ProbeResult.from_json(
            http_json(f"{self.base}/probe", method="POST", body=spec_json(spec), timeout_s=budget)
        )
