"""`awaitbench demo` as a library: check everything that can be wrong before a process starts
(`prepare`), then serve the page until Ctrl-C, SIGTERM or SIGHUP (`run_demo`), and always stop every child.

Live: the page first, then the drivers and the stage (the page shows "starting"); a tick loop publishes
frames to the page and to `--record`. Replay: the page and the recording, nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import shutil
import signal
import tempfile
import webbrowser
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.demo.config import DemoConfig
from bench.demo.live import Control, LiveShow
from bench.demo.page import PageStyle, hello_message, scenario_choices
from bench.demo.recording import Recorder, Recording, read_recording
from bench.demo.replay import ReplayShow
from bench.demo.server import Hub, Routes, start_server
from bench.demo.stage import StageSpec
from bench.errors import ProcessFailed, UsageError
from bench.paths import check_writable_file
from bench.processes import stop_all
from scenarios import catalogue, get

__all__ = ["DemoPlan", "prepare", "run_demo"]

_STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


@dataclass(frozen=True, kw_only=True)
class DemoPlan:
    """A checked demo: what goes on stage at the start, or the recording to play."""

    config: DemoConfig
    spec: StageSpec | None
    users: int
    recording: Recording | None


def _check_port(port: int) -> None:
    """uvicorn-style servers report a taken port deep in their start; checking first gives one line."""
    if port == 0:
        return
    from fake_llm.errors import ServeError
    from fake_llm.server import ensure_bindable

    try:
        ensure_bindable("127.0.0.1", port)
    except ServeError:
        raise UsageError(
            f"--port {port}: 127.0.0.1:{port} is taken; pick another port, or --port 0 for any free one"
        ) from None


def prepare(config: DemoConfig) -> DemoPlan:
    """Resolve the scenario and its variants, check the port and the files; nothing starts.

    Raises:
        UnknownScenarioError: an unknown scenario or variant.
        UsageError: the two variants are the same, the port is taken, a file cannot be written or read.
    """
    recording = read_recording(config.replay) if config.replay is not None else None
    spec = None
    users = config.users or 1
    if recording is None:
        scenario = get(config.scenario_id)
        pitfall_id, fix_id = config.selection[1:] or (scenario.pitfall_variant, scenario.fix_variant)
        pitfall, fix = scenario.variant(pitfall_id), scenario.variant(fix_id)
        if pitfall.id == fix.id:
            raise UsageError(f"PITFALL and FIX are both '{pitfall.id}': name two variants of {scenario.id}")
        spec = StageSpec(
            scenario=scenario,
            pitfall=pitfall.id,
            fix=fix.id,
            latency_ms=config.latency_ms or scenario.upstream.latency_ms,
            loop=config.loop,
        )
        users = config.users or min(scenario.headline.users, config.top_users)
    if config.record is not None:
        check_writable_file(config.record, flag="--record")
    if config.snapshot is not None:
        check_writable_file(config.snapshot, flag="--snapshot")
    _check_port(config.port)
    return DemoPlan(config=config, spec=spec, users=users, recording=recording)


@contextlib.contextmanager
def _stop_signals_cancel(task: asyncio.Task[None]) -> Iterator[None]:
    """SIGTERM and SIGHUP (the terminal closed) end the demo the way Ctrl-C does."""
    loop = asyncio.get_running_loop()
    for sig in _STOP_SIGNALS:
        loop.add_signal_handler(sig, task.cancel)
    try:
        yield
    finally:
        for sig in _STOP_SIGNALS:
            loop.remove_signal_handler(sig)


async def _live(plan: DemoPlan, style: PageStyle, announce: Callable[[str], None]) -> None:
    config, spec = plan.config, plan.spec
    assert spec is not None
    hello = hello_message(
        mode="live", style=style, max_users=config.top_users, scenarios=scenario_choices(catalogue())
    )
    header = {"created": datetime.now(UTC).isoformat(timespec="seconds"), "max_users": config.top_users}
    recorder = Recorder(config.record, header) if config.record is not None else None
    hub = Hub(hello, recorder)
    log_dir = Path(tempfile.mkdtemp(prefix="awaitbench-demo-"))
    show = LiveShow(
        spec,
        users=plan.users,
        max_users=config.top_users,
        log_dir=log_dir,
        tag=secrets.token_hex(8),
        publish=hub.publish,
    )

    async def on_control(data: Mapping[str, Any]) -> None:
        await show.control(Control.from_json(data))

    routes = Routes(
        source=hub.stream, on_control=on_control, snapshot_path=config.snapshot, scenario=spec.scenario.id
    )
    try:
        server = await start_server(routes, port=config.port)
    except UsageError:  # the port was taken between `prepare` and now
        if recorder is not None:
            recorder.close()
        shutil.rmtree(log_dir, ignore_errors=True)
        raise
    try:
        _announce(server.url, config.open, announce)
        await show.start()
        await show.run()
    except ProcessFailed:
        show.crashed = True  # its log explains it: keep the logs
        raise
    finally:
        hub.close()
        await asyncio.to_thread(show.stop)
        await server.close()
        if recorder is not None:
            recorder.close()
        if show.crashed:
            announce(f"a child exited during the demo: its log is kept in {log_dir}")
        else:
            shutil.rmtree(log_dir, ignore_errors=True)


async def _replay(plan: DemoPlan, style: PageStyle, announce: Callable[[str], None]) -> None:
    config, recording = plan.config, plan.recording
    assert recording is not None and config.replay is not None
    max_users = int(recording.header.get("max_users") or config.top_users)
    hello = hello_message(
        mode="replay", style=style, max_users=max_users, scenarios=[], source=config.replay.name
    )
    show = ReplayShow(recording, hello)
    routes = Routes(source=show.stream, on_control=show.control, snapshot_path=config.snapshot, scenario="")
    server = await start_server(routes, port=config.port)
    try:
        _announce(server.url, config.open, announce)
        await asyncio.Event().wait()
    finally:
        await server.close()


def _announce(url: str, open_browser: bool, announce: Callable[[str], None]) -> None:
    announce(f"awaitbench demo: {url}  (Ctrl-C to stop)")
    if open_browser:
        webbrowser.open(url)


async def _main(plan: DemoPlan, style: PageStyle, announce: Callable[[str], None]) -> None:
    task = asyncio.current_task()
    assert task is not None
    with _stop_signals_cancel(task):
        if plan.recording is not None:
            await _replay(plan, style, announce)
        else:
            await _live(plan, style, announce)


def run_demo(plan: DemoPlan, style: PageStyle, *, announce: Callable[[str], None] = print) -> None:
    """Serve the demo until interrupted; every child is stopped whatever ends it.

    Raises:
        KeyboardInterrupt: Ctrl-C, SIGTERM or SIGHUP (children stopped, the recording complete).
        ProcessFailed: a child could not start, or a load driver died.
        UsageError: the port was taken after all.
    """
    previous = {sig: signal.getsignal(sig) for sig in _STOP_SIGNALS}
    try:
        asyncio.run(_main(plan, style, announce))
    except asyncio.CancelledError:
        raise KeyboardInterrupt from None
    finally:
        stop_all()
        for sig, handler in previous.items():
            if handler is not None:
                signal.signal(sig, handler)
