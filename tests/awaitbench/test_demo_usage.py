"""`awaitbench demo` with bad input, in-process through `awaitbench.cli.main`: one line, exit 2, nothing
started."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from awaitbench.cli import main
from bench.demo.recording import FORMAT


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def _children() -> set[int]:
    return {p.pid for p in psutil.Process().children(recursive=True)}


def _usage_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    before = _children()
    try:
        code = main(["demo", *argv])
    except SystemExit as exc:  # argparse's own errors (a bad choice) exit from the parser
        code = int(exc.code or 0)
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("awaitbench: error: "), err
    assert "Traceback" not in err
    assert _children() == before  # nothing was started
    return err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nope"], "unknown scenario 'nope'"),
        (["sync_client", "sync_in_async", "nope"], "no variant 'nope'"),
        (["sync_client", "sync_in_async", "sync_in_async"], "both 'sync_in_async'"),
        (["sync_client", "sync_in_async"], "SCENARIO [PITFALL FIX]"),
        ([], "SCENARIO [PITFALL FIX]"),
        (["sync_client", "--users", "0"], "--users 0 must be in 1.."),
        (["sync_client", "--users", "x"], "--users (flag) must be a whole number, not 'x'"),
        (["sync_client", "--users", "50", "--max-users", "20"], "--users 50 must be in 1..20"),
        (["sync_client", "--latency-ms", "0"], "--latency-ms 0 must be in 1..10000"),
        (["sync_client", "--port", "70000"], "--port 70000"),
        (["sync_client", "--theme", "neon"], "--theme"),
        (["sync_client", "--record", "/dev/null/x.jsonl"], "--record /dev/null/x.jsonl"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert message in _usage_error(capsys, argv)


def test_a_taken_port_is_a_usage_error(capsys: pytest.CaptureFixture[str], taken_port: int) -> None:
    err = _usage_error(capsys, ["sync_client", "--port", str(taken_port)])
    assert f"--port {taken_port}: 127.0.0.1:{taken_port} is taken" in err


def test_replay_refuses_a_scenario_and_files_that_are_not_recordings(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    recording = tmp_path / "demo.jsonl"
    recording.write_text(json.dumps({"format": FORMAT, "version": 7}) + "\n")
    assert "drop the SCENARIO" in _usage_error(capsys, ["sync_client", "--replay", str(recording)])
    assert "version 7 recording" in _usage_error(capsys, ["--replay", str(recording)])
    assert "cannot be read" in _usage_error(capsys, ["--replay", str(tmp_path / "missing.jsonl")])
