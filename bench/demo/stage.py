"""The demo's children: fake_llm and the two variant apps (a `Stage`, rebuilt when the scenario, the variants
or L change) and one live load driver per variant (`Drivers`, kept for the whole demo), all started and
stopped by `bench.processes`.

Every child carries `DEMO_ENV` in its environment (the demo's own id), so a test can find any it left behind.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bench.demo.figure_stream import SIDES
from bench.errors import ProcessFailed
from bench.loadgen.intervals import Interval
from bench.loadgen.live_loop import LiveTarget
from bench.processes import (
    ManagedProcess,
    ProcessSpec,
    awaitbench_argv,
    free_ports,
    http_json,
    resolve_sched,
    scheduled,
    stop_together,
)
from bench.results import Loop
from fake_llm.launch import fake_llm_argv
from fake_llm.settings import SettingValue
from scenarios.model import Scenario

__all__ = ["DEMO_ENV", "Drivers", "Stage", "StageSpec", "upstream_settings"]

DEMO_ENV = "AWAITBENCH_DEMO_ID"
_LATENCY_SETTINGS = ("ttft_ms", "itl_ms")
_STOP_GRACE_S = 2.0  # a pitfall app may hold hung requests: never wait long for it


def upstream_settings(scenario: Scenario, latency_ms: float) -> dict[str, SettingValue]:
    """The scenario's fake_llm settings with its latency scaled to `latency_ms` (time to first token and
    inter-token time alike, so a streamed answer keeps its shape); L itself when it has neither."""
    settings = dict(scenario.upstream.fake_llm)
    scale = latency_ms / scenario.upstream.latency_ms
    present = [name for name in _LATENCY_SETTINGS if name in settings]
    for name in present:
        value = settings[name]
        settings[name] = float(value) * scale if isinstance(value, int | float) else value
    if not present:
        settings["ttft_ms"] = float(latency_ms)
    return settings


@dataclass(frozen=True, kw_only=True)
class StageSpec:
    """What is on stage: a scenario, the two variants shown side by side, and the upstream latency L."""

    scenario: Scenario
    pitfall: str
    fix: str
    latency_ms: float
    loop: Loop = "uvloop"

    def variant_of(self, side: str) -> str:
        return self.pitfall if side == "pitfall" else self.fix


class Stage:
    """fake_llm and the two apps of one `StageSpec`, on fresh ports; `start` returns once all answer."""

    def __init__(self, spec: StageSpec, *, log_dir: Path, tag: str) -> None:
        self.spec = spec
        llm_port, *app_ports = free_ports(3)
        ports = dict(zip(SIDES, app_ports, strict=True))
        self.app_urls = {side: f"http://127.0.0.1:{port}" for side, port in ports.items()}
        env = {DEMO_ENV: tag}
        scenario = spec.scenario
        self.fake_llm = ManagedProcess(
            ProcessSpec(
                name="fake_llm",
                argv=fake_llm_argv(
                    port=llm_port,
                    settings=upstream_settings(scenario, spec.latency_ms),
                    origin=f"scenario {scenario.id}",
                ),
                env=env,
                ready_url=f"http://127.0.0.1:{llm_port}/health",
                log_path=log_dir / "fake_llm.log",
            )
        )
        app_env = {
            **env,
            **scenario.app_env,
            "OPENAI_BASE_URL": f"http://127.0.0.1:{llm_port}/v1",
            "OPENAI_API_KEY": "sk-awaitbench-fake",
        }
        self.apps = {
            side: ManagedProcess(
                ProcessSpec(
                    name=spec.variant_of(side),
                    argv=awaitbench_argv(
                        *("serve", scenario.id, spec.variant_of(side), "--port", str(ports[side])),
                        *("--loop", spec.loop, "--log-level", "warning"),
                    ),
                    env=app_env,
                    ready_url=f"{self.app_urls[side]}/health",
                    log_path=log_dir / f"{side}-{spec.variant_of(side)}.log",
                    stop_grace_s=_STOP_GRACE_S,
                )
            )
            for side in SIDES
        }

    @property
    def children(self) -> tuple[ManagedProcess, ...]:
        return (self.fake_llm, *self.apps.values())

    def start(self) -> None:
        """Start all three at once and wait until each answers /health.

        Raises:
            ProcessFailed: one exited or was not ready in time (the others are stopped; log tail attached).
        """
        try:
            for child in self.children:
                child.start()
            for child in self.children:
                child.wait_ready()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        stop_together(self.children, grace_s=_STOP_GRACE_S)

    def target(self, side: str, users: int) -> LiveTarget:
        """What `side`'s driver sends: the scenario's request to that side's app."""
        request = self.spec.scenario.request
        return LiveTarget(
            url=self.app_urls[side] + request.path,
            users=users,
            method=request.method,
            json_body=dict(request.json_body) if request.json_body is not None else None,
        )

    def exited(self) -> Mapping[str, str]:
        """What is down, by side ("pitfall", "fix"; "upstream" for fake_llm): exit code and log."""
        down = {}
        for side, child in (("upstream", self.fake_llm), *self.apps.items()):
            code = child.returncode
            if code is not None:
                down[side] = f"{child.spec.name} exited with code {code}; its log is {child.log_path}"
        return down


class Drivers:
    """One live closed-loop driver per side (`bench.loadgen.live_loop`), under real-time scheduling when
    allowed: a driver waiting for a core would add its wait to every latency it measures."""

    def __init__(self, *, log_dir: Path, tag: str) -> None:
        ports = free_ports(2)
        self.urls = {side: f"http://127.0.0.1:{port}" for side, port in zip(SIDES, ports, strict=True)}
        self.procs = {
            side: ManagedProcess(
                ProcessSpec(
                    name=f"the {side}'s load driver",
                    argv=scheduled(
                        [sys.executable, "-m", "bench.loadgen.live_loop", "--port", str(port)],
                        resolve_sched("auto"),
                    ),
                    env={DEMO_ENV: tag},
                    ready_url=f"http://127.0.0.1:{port}/health",
                    log_path=log_dir / f"driver-{side}.log",
                )
            )
            for side, port in zip(SIDES, ports, strict=True)
        }

    def start(self) -> None:
        try:
            for proc in self.procs.values():
                proc.start()
            for proc in self.procs.values():
                proc.wait_ready()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        stop_together(self.procs.values())

    def check_alive(self) -> None:
        """Raises ProcessFailed when a driver died (a bug of ours, not the app's: the demo stops)."""
        for proc in self.procs.values():
            proc.check_alive("during the demo")

    def pid(self, side: str) -> int:
        return self.procs[side].pid

    def set_target(self, side: str, target: LiveTarget) -> None:
        http_json(f"{self.urls[side]}/target", method="POST", body=target.to_json(), child=self.procs[side])

    def interval(self, side: str) -> Interval:
        data = http_json(f"{self.urls[side]}/interval", method="POST", child=self.procs[side])
        try:
            return Interval.from_json(json.dumps(data))
        except ValueError as exc:
            raise ProcessFailed(f"{self.procs[side].spec.name} answered no interval: {exc}") from exc
