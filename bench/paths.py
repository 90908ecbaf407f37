"""Checks that an output path can be written, made before any work starts (so a typo costs nothing).

Used by `awaitbench run` (results directory, summary file), `report` and `compare` (their `--out`): an
unwritable path is a usage error (exit 2) on one line, never a traceback after minutes of work.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.errors import UsageError

__all__ = ["check_out_dir", "check_writable_dir", "check_writable_file"]


def _probe_dir(path: Path, *, flag: str) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise UsageError(
            f"{flag} {path} is not writable ({exc.strerror or exc}); pass another directory"
        ) from None


def check_writable_dir(path: Path, *, flag: str) -> None:
    """Fail early when `path` cannot be used as an output directory (creates it when missing).

    Raises:
        UsageError: the path is a file, or cannot be created or written.
    """
    if path.exists() and not path.is_dir():
        raise UsageError(f"{flag} {path} is a file; pass a directory")
    _probe_dir(path, flag=flag)


def check_out_dir(path: Path) -> None:
    """Fail early when the results directory cannot be created or written (creates it when missing).

    Raises:
        UsageError: the path is a file, cannot be created or written, or is a non-empty directory that
            is not an awaitbench results directory (so a typo never mixes results into other files).
    """
    if path.exists() and not path.is_dir():
        raise UsageError(f"--out {path} is a file; pass a directory for the results")
    if path.is_dir() and any(path.iterdir()) and not (path / "manifest.json").exists():
        raise UsageError(
            f"--out {path} is a non-empty directory that is not an awaitbench results directory; "
            "pass a new or empty directory"
        )
    _probe_dir(path, flag="--out")


def check_writable_file(path: Path, *, flag: str) -> None:
    """Fail early when `path` cannot be written as a file.

    Raises:
        UsageError: the path is a directory, or its directory cannot be created or written.
    """
    if path.is_dir():
        raise UsageError(f"{flag} {path} is a directory; pass a file path")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as exc:
        raise UsageError(
            f"{flag} {path} is not writable ({exc.strerror or exc}); pass another path"
        ) from None
