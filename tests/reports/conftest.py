"""The committed results fixtures (produced by real `awaitbench run`s; see docs/reports.md to regenerate)
and one rendering of the report shared by the tests that only read it."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from awaitbench.cli import main
from bench.processes import awaitbench_argv
from tests.in_process_cli import CliResult, call_main

FIXTURES = Path(__file__).parent / "fixtures"
RUN_SMALL = FIXTURES / "run_small"
RUN_SMALL_AGAIN = FIXTURES / "run_small_again"
RUN_LOOPS = FIXTURES / "run_loops"  # one pitfall/fix pair on both uvloop and asyncio


def awaitbench_process(*args: str, timeout_s: float = 120) -> subprocess.CompletedProcess[str]:
    """The real CLI in a subprocess, as a user runs it."""
    return subprocess.run(awaitbench_argv(*args), capture_output=True, text=True, timeout=timeout_s)


def awaitbench(*args: str) -> CliResult:
    """The CLI's `main(argv)` in this process: what a page or a table shows, without a process's start-up."""
    return call_main(main, args)


@pytest.fixture(scope="session")
def rendered_report(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """`awaitbench report RUN_SMALL --out DIR` once per session (paper theme): (DIR, the finished process)."""
    out = tmp_path_factory.mktemp("report")
    result = awaitbench_process("report", str(RUN_SMALL), "--out", str(out))
    return out, result


@pytest.fixture
def copy_run(tmp_path: Path) -> Callable[..., Path]:
    """A writable copy of a fixture run, optionally edited: `copy_run(RUN_SMALL, name="partial")`."""

    def _copy(source: Path, *, name: str = "run") -> Path:
        target = tmp_path / name
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("logs", "profiles", "report"))
        return target

    return _copy


def read_json(path: Path) -> Any:
    return json.loads(path.read_text())


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n")
