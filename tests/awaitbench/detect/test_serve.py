"""`python -m awaitbench.detect.serve`: import strings as uvicorn takes them, exit 2 with one line when they
do not
import, and a real served app whose agent answers on its side channel."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from awaitbench.detect.serve import AppImportError, load_app
from bench.processes import free_port
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("target", "factory", "message"),
    [
        ("no_colon", False, "'no_colon' is not an import string: write MODULE:ATTR"),
        (
            "tests.awaitbench.detect.nowhere:app",
            False,
            "cannot import module 'tests.awaitbench.detect.nowhere'",
        ),
        (
            "tests.awaitbench.detect.serve_apps:missing",
            False,
            "module 'tests.awaitbench.detect.serve_apps' has no attribute 'missing'",
        ),
        (
            "tests.awaitbench.detect.serve_apps:make_app",
            False,
            "is a plain function: if it builds the app, pass --factory",
        ),
        (
            "tests.awaitbench.detect.serve_apps:raises_at_import_marker",
            True,
            "is not callable, so it cannot be a --factory",
        ),
        (
            "tests.awaitbench.detect.serve_broken_import:app",
            False,
            "importing 'tests.awaitbench.detect.serve_broken_import' failed: KeyError",
        ),
    ],
)
def test_load_app_says_which_part_failed(target: str, factory: bool, message: str) -> None:
    with pytest.raises(AppImportError) as caught:
        load_app(target, factory=factory, app_dir=str(ROOT))
    assert message in str(caught.value)


def test_load_app_calls_a_factory() -> None:
    app = load_app("tests.awaitbench.detect.serve_apps:make_app", factory=True, app_dir=str(ROOT))
    assert {route.path for route in app.routes} >= {"/slow", "/fine"}


def _serve(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "awaitbench.detect.serve", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_an_import_string_that_does_not_import_exits_2_with_one_line() -> None:
    proc = _serve("tests.awaitbench.detect.nowhere:app", "--port", "1", "--channel-port", "1")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert err.count("\n") == 1 and err.startswith("awaitbench.detect.serve: error: cannot import module"), (
        err
    )


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def test_served_app_reports_its_blocks_on_the_side_channel_and_stops_on_sigterm() -> None:
    port, channel = free_port(), free_port()
    proc = _serve(
        "tests.awaitbench.detect.serve_apps:make_app",
        "--factory",
        "--port",
        str(port),
        "--channel-port",
        str(channel),
    )
    try:
        wait_until(lambda: _probe(f"http://127.0.0.1:{port}/fine"), 60.0, "the served app to answer")
        reset = urllib.request.Request(f"http://127.0.0.1:{channel}/reset", method="POST", data=b"")
        urllib.request.urlopen(reset, timeout=5).close()
        for _ in range(3):
            _get(f"http://127.0.0.1:{port}/slow")
        snapshot = wait_until(
            lambda: _get(f"http://127.0.0.1:{channel}/snapshot"),
            10.0,
            "three blocks on the side channel",
            ready=lambda s: len(s["blocks"]) >= 3,
        )
        block = snapshot["blocks"][0]
        assert block["route"] == "GET /slow" and block["state"] == "parked"
        assert block["location"]["file"].endswith("tests/awaitbench/detect/serve_apps.py")
        assert snapshot["threadpool"]["total_tokens"] == 40
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode in (0, -signal.SIGTERM)  # uvicorn re-raises the signal after a graceful stop
    assert "Traceback" not in err


def _probe(url: str) -> bool:
    try:
        _get(url)
    except OSError:
        return False
    return True


def test_an_app_failing_at_startup_exits_3_with_its_traceback() -> None:
    ports = ("--port", str(free_port()), "--channel-port", str(free_port()))
    proc = _serve("tests.awaitbench.detect.serve_apps:broken_at_startup", "--factory", *ports)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 3  # uvicorn's STARTUP_FAILURE
    assert "db.internal:5432 refused the connection" in err
