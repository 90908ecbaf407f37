"""Where and with what a run was measured: machine, package versions, git commit (the manifest's header).

Numbers from a 2-core laptop and a 64-core server are not comparable; every result carries its context
(pyperf does the same).
"""

from __future__ import annotations

import contextlib
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil

__all__ = ["PACKAGES", "git_commit", "machine_info", "package_versions"]

PACKAGES = (
    "awaitbench",
    "fastapi",
    "starlette",
    "uvicorn",
    "uvloop",
    "httptools",
    "anyio",
    "openai",
    "httpx",
    "aiohttp",
    "locust",
    "gevent",
    "numpy",
    "psutil",
    "py-spy",
)


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def machine_info() -> dict[str, Any]:
    """Cores, CPU model, memory, OS and Python of this machine."""
    return {
        "cpu_count": os.cpu_count() or 0,
        "cpu_count_physical": psutil.cpu_count(logical=False) or 0,
        "cpu_model": _cpu_model(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 2),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "hostname": platform.node(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def package_versions() -> dict[str, str]:
    versions: dict[str, str] = {}
    for name in PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[name] = metadata.version(name)
    return versions


def git_commit(repo: Path | None = None) -> str | None:
    """HEAD of the checkout awaitbench runs from (with `+dirty` when it has local changes), or None."""
    cwd = repo or Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}+dirty" if dirty else head
