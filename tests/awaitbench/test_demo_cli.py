"""`awaitbench demo` as a user runs it, a real process: its figure stream, an app that crashes under it, and
the signals that end it (Ctrl-C, the terminal closing) leaving no process and no port behind."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from bench.processes import awaitbench_argv, wait_port_free
from tests.interrupts import default_sigint
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


class _Demo:
    """A running `awaitbench demo` and every message its page stream sent."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            awaitbench_argv("demo", "--port", "0", *args),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=default_sigint,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line.startswith("awaitbench demo: http://127.0.0.1:"), line
        self.url = line.split()[2]
        self.messages: list[dict[str, Any]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        with urllib.request.urlopen(self.url + "events", timeout=120) as stream:
            for line in stream:
                if line.startswith(b"data: "):
                    self.messages.append(json.loads(line[6:]))

    def frames(self) -> list[dict[str, Any]]:
        return [m for m in list(self.messages) if m["kind"] == "frame"]

    def running_frame(self) -> dict[str, Any]:
        """The last frame when both apps are running in it, else {}."""
        frames = self.frames()
        if frames and all(frames[-1]["sides"][s]["status"] == "running" for s in ("pitfall", "fix")):
            return frames[-1]
        return {}

    def children(self) -> list[psutil.Process]:
        return psutil.Process(self.proc.pid).children(recursive=True)

    def stop(self, sig: int) -> tuple[int, str, str, list[int], list[int]]:
        """Send `sig`; (exit code, stdout, stderr, children left alive, ports still listening)."""
        children = self.children()
        ports = [
            c.laddr.port
            for child in (psutil.Process(self.proc.pid), *children)
            for c in child.net_connections(kind="tcp")
            if c.status == psutil.CONN_LISTEN
        ]
        self.proc.send_signal(sig)
        stdout, stderr = self.proc.communicate(timeout=60)
        _, alive = psutil.wait_procs(children, timeout=10)
        held = [p for p in ports if not wait_port_free(p)]
        return self.proc.returncode, stdout, stderr, [p.pid for p in alive], held


@pytest.fixture
def demo_factory() -> Iterator[type[_Demo]]:
    started: list[_Demo] = []

    class _Tracked(_Demo):
        def __init__(self, *args: str) -> None:
            super().__init__(*args)
            started.append(self)

    yield _Tracked
    for demo in started:
        if demo.proc.poll() is None:
            demo.proc.kill()
            demo.proc.communicate(timeout=30)


def test_a_crashing_app_is_shown_down_while_the_other_goes_on(demo_factory: type[_Demo]) -> None:
    demo = demo_factory("sync_client", "--users", "5")
    wait_until(demo.running_frame, 90.0, "both apps' figures in the stream")
    (pitfall_app,) = [c for c in demo.children() if "sync_in_async" in " ".join(c.cmdline())]
    pitfall_app.send_signal(signal.SIGKILL)

    def down() -> dict[str, Any]:
        frames = [f for f in demo.frames() if f["sides"]["pitfall"]["status"] == "down"]
        return frames[-1] if frames else {}

    first_down = wait_until(down, 30.0, "a frame showing the pitfall's app down")
    assert "sync_in_async exited with code -9; its log is " in first_down["sides"]["pitfall"]["message"]
    assert first_down["sides"]["pitfall"]["figures"] is None
    status = [m for m in demo.messages if m["kind"] == "status"][-1]
    assert status["state"] == "degraded" and "sync_in_async exited" in status["message"]
    # Not a frozen page: frames keep coming, and the fix keeps serving.
    later = wait_until(
        lambda: demo.frames()[-1],
        30.0,
        "frames after the crash",
        ready=lambda f: f["t"] >= first_down["t"] + 2.0,
    )
    assert later["sides"]["fix"]["status"] == "running" and later["sides"]["fix"]["figures"]["completed"] > 0
    returncode, stdout, stderr, left, held = demo.stop(signal.SIGINT)
    assert returncode == 130, stderr
    assert "awaitbench: interrupted" in stderr
    assert left == [] and held == []
    notice = "a child exited during the demo: its log is kept in "
    assert notice in stdout
    logs = Path(stdout.split(notice)[1].split()[0])
    assert (logs / "stage-1" / "pitfall-sync_in_async.log").is_file()
    shutil.rmtree(logs)


def test_closing_the_terminal_stops_everything(demo_factory: type[_Demo]) -> None:
    demo = demo_factory("sync_client", "--users", "3")
    wait_until(demo.running_frame, 90.0, "both apps' figures in the stream")
    returncode, _, stderr, left, held = demo.stop(signal.SIGHUP)
    assert returncode == 130, stderr
    assert left == [] and held == []


def _control(demo: _Demo, **control: object) -> None:
    request = urllib.request.Request(
        demo.url + "control",
        data=json.dumps(control).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        assert answer.status == 200


def test_a_new_latency_or_scenario_rebuilds_the_stage_and_the_old_one_goes(demo_factory: type[_Demo]) -> None:
    demo = demo_factory("sync_client", "--users", "3")
    wait_until(demo.running_frame, 90.0, "both apps' figures in the stream")
    first_stage = {c.pid for c in demo.children() if "live_loop" not in " ".join(c.cmdline())}
    _control(demo, latency_ms=200)
    slower = wait_until(
        demo.running_frame, 90.0, "figures at the new L", ready=lambda f: bool(f) and f["latency_ms"] == 200
    )
    assert slower["sides"]["fix"]["theory_ms"] == 200.0
    assert not first_stage & {c.pid for c in demo.children()}  # a fresh fake_llm and fresh apps
    _control(demo, scenario="serial_awaits")
    stage = wait_until(
        lambda: [m for m in demo.messages if m["kind"] == "stage"][-1],
        30.0,
        "the new scenario's slide",
        ready=lambda m: m["scenario"] == "serial_awaits",
    )
    assert stage["sides"]["pitfall"]["variant"] == "serial" and stage["sides"]["fix"]["variant"] == "gather"
    wait_until(
        demo.running_frame,
        90.0,
        "the new scenario's figures",
        ready=lambda f: bool(f) and f["sides"]["fix"]["variant"] == "gather",
    )
    returncode, _, stderr, left, held = demo.stop(signal.SIGINT)
    assert returncode == 130 and left == [] and held == [], stderr
