"""ruff and mypy (strict; see pyproject.toml) run in the suite, so drift fails CI instead of piling up."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str) -> str:
    return shutil.which(name, path=str(Path(sys.executable).parent)) or name


def _ruff() -> str:
    return _tool("ruff")


def test_ruff_check_is_clean() -> None:
    result = subprocess.run([_ruff(), "check", "--quiet", str(ROOT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean() -> None:
    result = subprocess.run(
        [_ruff(), "format", "--check", "--quiet", str(ROOT)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_is_clean() -> None:
    # The packages and the strictness live in pyproject.toml ([tool.mypy]); mypy's cache keeps reruns fast.
    result = subprocess.run([_tool("mypy")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
