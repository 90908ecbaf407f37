"""The CLI as a user sees it: one-line errors and exit codes (one case as a real process)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from awaitbench.cli import main
from bench.processes import awaitbench_argv
from tests.in_process_cli import call_main


def test_help_lists_every_command() -> None:
    result = call_main(main, ["--help"])
    assert result.returncode == 0
    for command in ("fake-llm", "list", "serve", "run", "report", "compare", "perf"):
        assert command in result.stdout


def test_unknown_command_is_a_one_line_usage_error() -> None:
    # The user's view: the process exits 2 with one line on stderr.
    result = subprocess.run(awaitbench_argv("no-such-command"), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("awaitbench: error:")


def test_a_directory_that_is_not_a_results_run_is_a_usage_error(tmp_path: Path) -> None:
    result = call_main(main, ["report", str(tmp_path)])
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "manifest.json" in result.stderr
