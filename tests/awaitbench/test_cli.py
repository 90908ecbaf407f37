"""The CLI as a user sees it: one-line errors and exit codes."""

from __future__ import annotations

import subprocess

from bench.processes import awaitbench_argv


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(awaitbench_argv(*args), capture_output=True, text=True, timeout=60)


def test_help_lists_every_command() -> None:
    result = _run("--help")
    assert result.returncode == 0
    for command in ("fake-llm", "list", "serve", "run", "report", "compare", "perf"):
        assert command in result.stdout


def test_unknown_command_is_a_one_line_usage_error() -> None:
    result = _run("no-such-command")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("awaitbench: error:")


def test_a_directory_that_is_not_a_results_run_is_a_usage_error(tmp_path) -> None:
    result = _run("report", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "manifest.json" in result.stderr
