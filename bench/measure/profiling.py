"""`--profile`: py-spy records the app during a window (`--idle --nonblocking`), as SVG and speedscope."""

from __future__ import annotations

import math
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.errors import ProcessFailed
from bench.processes import ManagedProcess, ProcessSpec

__all__ = ["Profiler", "py_spy_path"]

_FORMATS = {"flamegraph": "svg", "speedscope": "speedscope.json"}


def py_spy_path() -> str | None:
    """py-spy next to this interpreter (the venv), else on PATH."""
    return shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")


@dataclass
class Profiler:
    """Two py-spy recordings of `pid` (and its subprocesses) for `duration_s`, written under run_dir."""

    pid: int
    duration_s: float
    run_dir: Path
    stem: str

    def __post_init__(self) -> None:
        self._procs: list[tuple[ManagedProcess, Path]] = []

    def start(self) -> None:
        exe = py_spy_path()
        if exe is None:
            return
        out_dir = self.run_dir / "profiles"
        out_dir.mkdir(parents=True, exist_ok=True)
        for fmt, suffix in _FORMATS.items():
            out = out_dir / f"{self.stem}.{suffix}"
            argv = [
                exe, "record", "--pid", str(self.pid), "--idle", "--nonblocking", "--subprocesses",
                "--duration", str(max(1, math.ceil(self.duration_s))), "--rate", "100",
                "--format", fmt, "--output", str(out),
            ]  # fmt: skip
            spec = ProcessSpec(
                name=f"py-spy-{fmt}", argv=argv, log_path=self.run_dir / "logs" / f"{out.name}.log"
            )
            self._procs.append((ManagedProcess(spec).start(), out))

    def finish(self) -> tuple[str, ...]:
        """Wait for the recordings; return the files written, relative to the results directory."""
        written: list[str] = []
        for proc, out in self._procs:
            try:
                proc.wait(self.duration_s + 15.0)
            except ProcessFailed:
                pass  # a recording that did not finish is cut below; whatever it wrote is kept
            finally:
                proc.stop(grace_s=2.0)
            if out.exists() and out.stat().st_size > 0:
                written.append(str(out.relative_to(self.run_dir)))
        self._procs.clear()
        return tuple(written)

    def stop(self) -> None:
        for proc, _ in self._procs:
            proc.stop(grace_s=1.0)
        self._procs.clear()
