"""The live demo: a frame every tick from both drivers, and the page's controls applied to the children.

Users and pause go to the drivers at once; a new upstream latency, scenario or pair of variants rebuilds
the stage (fresh fake_llm and apps, the drivers retargeted) while frames keep coming, marked "starting".
An app that exits is shown as down, with its exit code and log, and its driver stops sending to it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import psutil

from bench.demo.figure_stream import SIDES, CpuWindow, Frame, SideFrame, Window
from bench.demo.page import TICK_S, WINDOW_S, stage_message
from bench.demo.stage import Drivers, Stage, StageSpec
from bench.errors import ProcessFailed, UsageError
from scenarios import get
from scenarios.errors import UnknownScenarioError
from scenarios.model import TheoryInput

__all__ = ["Control", "LiveShow"]

Publish = Callable[[Mapping[str, Any]], None]
_CONTROL_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "users": ((int,), "a whole number"),
    "paused": ((bool,), "true or false"),
    "latency_ms": ((int, float), "a number of milliseconds"),
    "scenario": ((str,), "a scenario id"),
    "pitfall": ((str,), "a variant id"),
    "fix": ((str,), "a variant id"),
}


@dataclass(frozen=True, kw_only=True)
class Control:
    """One change asked by the page; exactly one field is set.

    Raises:
        UsageError: no field or several, or a value out of range (the message is shown on the page).
    """

    users: int | None = None
    paused: bool | None = None
    latency_ms: float | None = None
    scenario: str | None = None
    pitfall: str | None = None
    fix: str | None = None

    def __post_init__(self) -> None:
        given = [
            name for name in ("users", "paused", "latency_ms", "scenario") if getattr(self, name) is not None
        ]
        if len(given) != 1 or (self.scenario is None and (self.pitfall or self.fix)):
            raise UsageError(
                "a control sets one of users, paused, latency_ms, or scenario (with pitfall, fix)"
            )
        for name, (kind, words) in _CONTROL_TYPES.items():
            value = getattr(self, name)
            wrong_bool = isinstance(value, bool) and bool not in kind
            if value is not None and (not isinstance(value, kind) or wrong_bool):
                raise UsageError(f"control {name}: {value!r} must be {words}")

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Control:
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise UsageError(f"unknown control {sorted(unknown)}")
        try:
            return cls(**data)
        except TypeError as exc:
            raise UsageError(f"bad control: {exc}") from None


class _CpuOf:
    """CPU of one process (or of the machine, `pid` None) over the figures' window."""

    def __init__(self, pid: int | None) -> None:
        self.pid = pid
        self.window = CpuWindow(WINDOW_S)

    def read(self) -> float | None:
        now = time.monotonic()
        try:
            if self.pid is None:
                times = psutil.cpu_times()
                busy = (times.user + times.system + times.nice + times.irq + times.softirq) / (
                    psutil.cpu_count() or 1
                )
                self.window.add(now, busy)
            else:
                proc_times = psutil.Process(self.pid).cpu_times()
                self.window.add(now, proc_times.user + proc_times.system)
        except psutil.Error:
            return None
        return self.window.percent()


class LiveShow:
    """The children, the windows and the state the page controls."""

    def __init__(
        self, spec: StageSpec, *, users: int, max_users: int, log_dir: Path, tag: str, publish: Publish
    ) -> None:
        self.spec = spec
        self.users = users
        self.max_users = max_users
        self.paused = False
        self.state = "starting"
        self.message = ""
        self.log_dir = log_dir
        self.tag = tag
        self.publish = publish
        self.drivers = Drivers(log_dir=log_dir, tag=tag)
        self.stage: Stage | None = None
        self._starting: Stage | None = None  # a stage whose children are coming up (stopped by `stop` too)
        self._stages = 0
        self.windows = {side: Window(WINDOW_S) for side in SIDES}
        self.down: dict[str, str] = {}
        self.crashed = False
        self._lock = asyncio.Lock()
        self._started = time.monotonic()
        self._load_s = 0.0
        self._machine = _CpuOf(None)
        self._upstream: _CpuOf | None = None

    def _at(self) -> float:
        return time.monotonic() - self._started

    def _publish_status(self) -> None:
        self.publish(
            {
                "kind": "status",
                "at": round(self._at(), 3),
                "state": self.state,
                "message": self.message,
                "paused": self.paused,
                "users": self.users,
                "latency_ms": self.spec.latency_ms,
            }
        )

    def _publish_stage(self) -> None:
        spec = self.spec
        self.publish(
            stage_message(
                spec.scenario, pitfall=spec.pitfall, fix=spec.fix, latency_ms=spec.latency_ms, at=self._at()
            )
        )

    async def start(self) -> None:
        """Start the drivers and the first stage (a failure here ends the demo: ProcessFailed)."""
        self._publish_stage()
        self._publish_status()
        await asyncio.to_thread(self.drivers.start)
        await self._go_live(await self._start_stage(self.spec))

    async def _start_stage(self, spec: StageSpec) -> Stage:
        self._stages += 1  # each stage logs apart: a crashed app's log survives the next stage
        log_dir = self.log_dir / f"stage-{self._stages}"
        self._starting = stage = Stage(spec, log_dir=log_dir, tag=self.tag)
        try:
            await asyncio.to_thread(stage.start)
        finally:
            self._starting = None
        return stage

    async def _go_live(self, stage: Stage) -> None:
        self.stage, self.down = stage, {}
        self._upstream = _CpuOf(stage.fake_llm.pid)
        for side in SIDES:
            self.windows[side].clear()
        await self._send_users()
        self.state, self.message = "running", ""
        self._publish_stage()
        self._publish_status()

    async def _send_users(self) -> None:
        stage = self.stage
        if stage is None:
            return
        users = 0 if self.paused else self.users
        await asyncio.gather(
            *(
                asyncio.to_thread(
                    self.drivers.set_target, side, stage.target(side, 0 if side in self.down else users)
                )
                for side in SIDES
            )
        )

    def stop(self) -> None:
        """Stop every child (blocking; safe to call more than once, and while a stage is starting)."""
        for stage in (self._starting, self.stage):
            if stage is not None:
                stage.stop()
        self.drivers.stop()

    async def control(self, control: Control) -> None:
        """Apply one change from the page.

        Raises:
            UsageError: a value out of range, an unknown scenario or variant (nothing changes).
        """
        async with self._lock:
            if control.users is not None:
                if not 1 <= control.users <= self.max_users:
                    raise UsageError(f"users must be in 1..{self.max_users}, got {control.users}")
                self.users = control.users
                await self._send_users()
            elif control.paused is not None:
                await self._pause(control.paused)
            elif control.latency_ms is not None:
                if not 1.0 <= control.latency_ms <= 10_000.0:
                    raise UsageError(f"latency_ms must be in 1..10000, got {control.latency_ms:g}")
                await self._restage(replace(self.spec, latency_ms=float(control.latency_ms)))
            else:
                await self._restage(self._spec_for(control))
            self._publish_status()

    def _spec_for(self, control: Control) -> StageSpec:
        try:
            scenario = get(control.scenario or "")
            pitfall = scenario.variant(control.pitfall or scenario.pitfall_variant).id
            fix = scenario.variant(control.fix or scenario.fix_variant).id
        except UnknownScenarioError as exc:
            raise UsageError(str(exc)) from None
        if pitfall == fix:
            raise UsageError(f"pick two different variants of {scenario.id} (both are {pitfall})")
        same = scenario.id == self.spec.scenario.id
        latency = self.spec.latency_ms if same else scenario.upstream.latency_ms
        return replace(self.spec, scenario=scenario, pitfall=pitfall, fix=fix, latency_ms=latency)

    async def _pause(self, paused: bool) -> None:
        if paused == self.paused:
            return
        self.paused = paused
        await self._send_users()
        if not paused:  # what happened while paused is no figure of the load
            await self._drain_intervals()
            for side in SIDES:
                self.windows[side].clear()

    async def _drain_intervals(self) -> None:
        await asyncio.gather(*(asyncio.to_thread(self.drivers.interval, side) for side in SIDES))

    async def _restage(self, spec: StageSpec) -> None:
        self.spec, self.state, self.message = spec, "starting", "starting the new stage…"
        self._publish_stage()
        self._publish_status()
        old, self.stage = self.stage, None  # ticks show "starting" from here on
        if old is not None:
            await asyncio.gather(
                *(asyncio.to_thread(self.drivers.set_target, side, old.target(side, 0)) for side in SIDES)
            )
            await asyncio.to_thread(old.stop)
        try:
            stage = await self._start_stage(spec)
        except ProcessFailed as exc:
            self.state, self.message, self.crashed = "failed", str(exc), True
            return
        await self._go_live(stage)

    async def run(self) -> None:
        """Publish a frame every `TICK_S` until cancelled (paused: none, and the load clock stops)."""
        next_at = time.monotonic()
        last = next_at
        while True:
            next_at += TICK_S
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            now = time.monotonic()
            if next_at < now - TICK_S:  # a long stall (a suspended laptop): do not catch up tick by tick
                next_at = now
            elapsed, last = now - last, now
            await asyncio.to_thread(self.drivers.check_alive)
            if self.paused:
                continue
            self._load_s += elapsed
            self.publish((await self._frame()).to_message())

    async def _frame(self) -> Frame:
        intervals = await asyncio.gather(*(asyncio.to_thread(self.drivers.interval, side) for side in SIDES))
        stage = self.stage
        if stage is None:
            sides = {side: self._not_running(side) for side in SIDES}
        else:
            await self._notice_exits(stage)
            upstream_cpu = self._upstream.read() if self._upstream is not None else None
            predictions = self.spec.scenario.theory(
                TheoryInput(users=self.users, upstream_latency_ms=self.spec.latency_ms)
            )
            sides = {}
            for side, interval in zip(SIDES, intervals, strict=True):
                if side in self.down:
                    sides[side] = SideFrame(
                        variant=self.spec.variant_of(side), status="down", message=self.down[side]
                    )
                    continue
                self.windows[side].add(interval)
                sides[side] = SideFrame.measured(
                    self.spec.variant_of(side),
                    self.windows[side].figures(),
                    predictions.get(self.spec.variant_of(side)),
                    fake_llm_cpu_percent=upstream_cpu,
                )
        return Frame.of(
            at=self._at(),
            t=self._load_s,
            users=self.users,
            latency_ms=self.spec.latency_ms,
            sides=sides,
            machine_cpu_percent=self._machine.read(),
        )

    def _not_running(self, side: str) -> SideFrame:
        failed = self.state == "failed"
        return SideFrame(
            variant=self.spec.variant_of(side), status="down" if failed else "starting", message=self.message
        )

    async def _notice_exits(self, stage: Stage) -> None:
        exited = stage.exited()
        if not exited or set(exited) <= set(self.down):
            return
        upstream = exited.get("upstream")
        for side in SIDES:
            reason = exited.get(side) or upstream
            if reason and side not in self.down:
                self.down[side] = reason
        self.crashed = True
        self.state, self.message = "degraded", "; ".join(exited.values())
        await self._send_users()
        self._publish_status()
