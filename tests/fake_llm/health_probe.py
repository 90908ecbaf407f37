"""The health poller's process: `python health_probe.py URL PID OUTFILE` (see `responsiveness.py`).

GETs `/health` on one keep-alive connection every 20 ms until terminated and appends one line per probe:
`started latency_ms ok rss_bytes`, where `started` is CLOCK_MONOTONIC (shared by every process on the
machine) and the RSS is the server's, its helper processes included.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import psutil

INTERVAL_S = 0.02


def _rss(pid: int) -> int:
    try:
        process = psutil.Process(pid)
        children = process.children(recursive=True)
        return process.memory_info().rss + sum(child.memory_info().rss for child in children)
    except psutil.Error:
        return 0


def main(url: str, pid: int, out: Path) -> None:
    with contextlib.suppress(OSError):
        os.nice(-10)  # when allowed (root): the machine's other load should not delay the probes
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    with out.open("a", buffering=1) as log:
        while True:
            started = time.monotonic()
            try:
                connection.request("GET", "/health")
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                connection.close()
            latency_ms = (time.monotonic() - started) * 1000
            log.write(f"{started:.6f} {latency_ms:.3f} {int(ok)} {_rss(pid)}\n")
            time.sleep(INTERVAL_S)  # the polling period, not a synchronisation


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]))
