"""Hostile and careless input, as a user types it: every case is one line on stderr and exit 2, no traceback.

Each case calls the CLI's `main(argv)` in process (test_cli.py runs it as a process). The results-file cases
corrupt a copy of a committed fixture in the ways a hand edit, a truncated copy or a foreign file would.
"""

from __future__ import annotations

import json
import shutil
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from awaitbench.cli import main
from tests.in_process_cli import CliResult, call_main
from tests.reports.conftest import RUN_SMALL


def _run(*args: str) -> CliResult:
    return call_main(main, args)


def _assert_one_line_usage_error(result: CliResult, *needles: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("awaitbench: error:")
    for needle in needles:
        assert needle in result.stderr, result.stderr


def _first_point(run: Path) -> Path:
    return sorted((run / "points").glob("*.json"))[0]


def _manifest_bytes(run: Path) -> None:
    (run / "manifest.json").write_bytes(b"\xff\xfe{not utf-8")


def _manifest_list(run: Path) -> None:
    (run / "manifest.json").write_text("[]")


def _manifest_config_null(run: Path) -> None:
    data = json.loads((run / "manifest.json").read_text())
    data["config"] = None
    (run / "manifest.json").write_text(json.dumps(data))


def _point_latency_oops(run: Path) -> None:
    path = _first_point(run)
    data = json.loads(path.read_text())
    data["latency"] = "oops"
    path.write_text(json.dumps(data))


def _point_version_only(run: Path) -> None:
    _first_point(run).write_text('{"schema_version": 1}')


def _point_truncated(run: Path) -> None:
    path = _first_point(run)
    path.write_text(path.read_text()[:40])


CORRUPTIONS: dict[str, tuple[Callable[[Path], None], str]] = {
    "non-UTF-8 manifest": (_manifest_bytes, "not UTF-8"),
    "manifest is a list": (_manifest_list, "JSON object was expected"),
    "manifest config null": (_manifest_config_null, "field config"),
    "latency is a string": (_point_latency_oops, "field latency"),
    "point with only a version": (_point_version_only, "field scenario: Field required"),
    "truncated point": (_point_truncated, "not valid JSON"),
}


@pytest.mark.parametrize("command", ["report", "compare"])
@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_corrupt_results_are_a_one_line_error_naming_the_file(
    tmp_path: Path, command: str, case: str
) -> None:
    run = tmp_path / "run"
    shutil.copytree(RUN_SMALL, run)
    corrupt, needle = CORRUPTIONS[case]
    corrupt(run)
    args = (
        ("report", str(run), "--out", str(tmp_path / "out"))
        if command == "report"
        else ("compare", str(RUN_SMALL), str(run))
    )
    result = _run(*args)
    _assert_one_line_usage_error(result, needle, str(run))
    assert result.stdout == ""  # compare prints no table before it fails


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("run", "sync_client", "--duration", "nan"), "--duration"),
        (("run", "sync_client", "--warmup", "inf"), "--warmup"),
        (("run", "sync_client", "--users", "10,,20"), "empty entry"),
        (("run", "sync_client", "--users", "10", "--reference-users", "0"), "--reference-users 0"),
        (("run", "sync_client:"), "no variant after the colon"),
        (("run", "sync_client", "--rate", "5", "--users", "10"), "--rate and --users"),
        (("run", "sync_client", "--rate", "0"), "--rate: 0"),
        (("run", "sync_client", "--rate", "5,-40"), "--rate: -40"),
        (("run", "sync_client", "--rate", "nan"), "--rate: nan"),
        (("run", "sync_client", "--rate", "inf"), "--rate: inf"),
        (("run", "sync_client", "--rate", "5,x"), "'x' is not a number"),
        (("run", "sync_client", "--find-capacity"), "--slo-p99-ms"),
        (("run", "sync_client", "--find-capacity", "--slo-p99-ms", "0"), "--slo-p99-ms 0"),
        (("run", "sync_client", "--find-capacity", "--slo-p99-ms", "500", "--rate", "5"), "drop --rate"),
        (("run", "sync_client", "--arrival", "poisson"), "--arrival applies to the open loop"),
        (("run", "sync_client", "--arrival", "bursty", "--rate", "5"), "invalid choice: 'bursty'"),
        (("run", "sync_client", "--rate", "5", "--max-outstanding", "0"), "--max-outstanding 0"),
        (("perf", "fake-llm", "--ttft-ms", "nan"), "--ttft-ms"),
        (("compare", str(RUN_SMALL), str(RUN_SMALL), "--threshold", "nan"), "finite"),
    ],
)
def test_bad_numbers_and_lists_are_usage_errors(args: tuple[str, ...], needle: str) -> None:
    _assert_one_line_usage_error(_run(*args), needle)


def test_an_unwritable_out_is_a_usage_error_before_any_work(tmp_path: Path) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("")
    for args in (
        ("report", str(RUN_SMALL), "--out", str(a_file)),
        ("compare", str(RUN_SMALL), str(RUN_SMALL), "--out", str(a_file / "sub")),
        ("run", "sync_client", "--out", str(a_file)),
    ):
        result = _run(*args)
        _assert_one_line_usage_error(result, "--out")
        assert result.stdout == ""


def test_a_taken_port_is_a_usage_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _run("serve", "sync_client", "async_client", "--port", str(port))
    _assert_one_line_usage_error(result, f"127.0.0.1:{port}", "--port")


def test_an_unusable_host_is_a_usage_error() -> None:
    result = _run("serve", "sync_client", "async_client", "--host", "256.0.0.1", "--port", "8123")
    _assert_one_line_usage_error(result, "256.0.0.1")
