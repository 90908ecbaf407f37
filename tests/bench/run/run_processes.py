"""What a run leaves running: its processes (tagged with the run directory) and the ports they listen on."""

from __future__ import annotations

from pathlib import Path

import psutil

from bench.run.point import RUN_DIR_ENV

__all__ = ["listening_ports", "run_processes"]


def run_processes(run_dir: Path) -> list[psutil.Process]:
    """Live processes started for this run (every child carries the run directory in its environment)."""
    tag = str(run_dir.resolve())
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.environ().get(RUN_DIR_ENV) == tag:
                found.append(proc)
        except (psutil.Error, OSError):
            continue
    return found


def listening_ports(procs: list[psutil.Process]) -> list[int]:
    """The TCP ports `procs` listen on (processes gone meanwhile are skipped)."""
    ports = []
    for proc in procs:
        try:
            ports += [
                c.laddr.port for c in proc.net_connections(kind="tcp") if c.status == psutil.CONN_LISTEN
            ]
        except psutil.Error:
            continue
    return ports
